export { createKubernetesRuntime, loadKubeConfig, type KubernetesRuntimeOptions } from "./kubernetes-runtime.js";
export { workerJob, tolerationsOf, affinityOf, MAIN_CONTAINER, INIT_CONTAINER, type WorkerJobOptions } from "./job-spec.js";
export { workerStateOf, STUCK_REASONS } from "./job-state.js";
