/**
 * The docker runtime, an entry of its own: it loads dockerode (and through it gRPC and protobuf),
 * which only a server that runs workers with Docker or Podman needs, and only once it runs one.
 */
export { createDockerRuntime, type DockerRuntimeOptions } from "./runtime/docker-runtime.js";
export { containerCreateOptions, resourceLimits } from "./runtime/docker-container-spec.js";
