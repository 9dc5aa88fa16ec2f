export { createKubernetesRuntime, loadKubeConfig, type KubernetesRuntimeOptions } from "./kubernetes-runtime.js";
export { workerJob, tolerationsOf, affinityOf, nurseRecordsLog, MAIN_CONTAINER, INIT_CONTAINER, NURSE_CONTAINER, type WorkerJobOptions, type NurseOptions } from "./job-spec.js";
export { nurseLog, openLogFile, kubernetesLogSource, type ContainerLogSource, type ContainerPhase, type LogFile, type NurseResult, type NurseLogOptions } from "./log-nurse.js";
export { workerStateOf, STUCK_REASONS } from "./job-state.js";
