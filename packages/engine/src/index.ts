export * from "./loop-runner.js";
export * from "./loops/projection.js";
export * from "./engine.js";
export * from "./options.js";
export { loadHooksFile, parseHooks, HooksFileError, NO_HOOKS, type HookUrls } from "./hooks/hooks-file.js";
export { createLifecycleHooks, BeforeHookError, type LifecycleHooks } from "./hooks/lifecycle-hooks.js";
export { lazyRuntime } from "./workers/lazy-runtime.js";
export { runDetailJson } from "./run-json.js";
export { NO_ENGINE_METRICS, type EngineMetrics } from "./engine-metrics.js";
