export * from "./worker-runtime.js";
export { createDockerRuntime, type DockerRuntimeOptions } from "./docker-runtime.js";
export {
  detectDockerSocket,
  candidateSocketPaths,
  parseDockerHost,
  pingDockerEndpoint,
  resolveDockerEndpoint,
  type DockerEndpoint,
} from "./docker-socket.js";
export { parseQuantity, cpuToNanoCpus, memoryToBytes, deviceCount } from "./quantities.js";
export { containerCreateOptions, resourceLimits } from "./docker-container-spec.js";
export { dockerUnhonouredPlanSettings, type PlanWorkerSettings, type UnhonouredPlanSettings } from "./unhonoured-settings.js";
export { unmetNodeRequirements, unplacedReason } from "./placement.js";
export * from "./kubernetes/index.js";
