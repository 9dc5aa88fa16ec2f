export * from "./worker-runtime.js";
export {
  detectDockerSocket,
  candidateSocketPaths,
  parseDockerHost,
  pingDockerEndpoint,
  resolveDockerEndpoint,
  type DockerEndpoint,
} from "./docker-socket.js";
export { parseQuantity, cpuToNanoCpus, memoryToBytes, deviceCount } from "./quantities.js";
export { dockerUnhonouredPlanSettings, type PlanWorkerSettings, type UnhonouredPlanSettings } from "./unhonoured-settings.js";
export { unmetNodeRequirements, unplacedReason } from "./placement.js";
