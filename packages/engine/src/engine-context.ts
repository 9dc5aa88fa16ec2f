import type { Database } from "@knitfab/db";
import type { DataStore, WorkerRuntime } from "@knitfab/drivers";
import type { LifecycleHooks } from "./hooks/lifecycle-hooks.js";
import type { LoopLogger } from "./loop-runner.js";
import type { EngineMetrics } from "./engine-metrics.js";
import type { EngineOptions } from "./options.js";
import type { WorkerWatch } from "./workers/worker-watch.js";

/** What every engine loop works with. */
export interface EngineContext {
  database: Database;
  store: DataStore;
  runtime: WorkerRuntime;
  hooks: LifecycleHooks;
  options: EngineOptions;
  logger: LoopLogger;
  metrics: EngineMetrics;
  watch: WorkerWatch;
  /**
   * Wakes this process's loops at once (in addition to NOTIFY, which reaches every process); with a
   * run status, only the loops that handle runs in that status.
   */
  wake(status?: string): void;
  /**
   * Removes an exited worker in the background, off the pipeline's critical path. A crash before it
   * is done leaves a container without a worker record, which housekeeping removes; a graceful stop
   * waits for these removals.
   */
  removeLater(runId: string): void;
}
