import type { Database } from "@knitfab/db";
import type { DataStore, WorkerRuntime } from "@knitfab/drivers";
import type { EngineContext } from "./engine-context.js";
import { NO_ENGINE_METRICS, type EngineMetrics } from "./engine-metrics.js";
import { NO_HOOKS, type HookUrls } from "./hooks/hooks-file.js";
import { createLifecycleHooks } from "./hooks/lifecycle-hooks.js";
import { startLoop, type LoopDefinition, type LoopLogger, type RunningLoop } from "./loop-runner.js";
import { finishingLoop } from "./loops/finishing.js";
import { garbageCollectionLoop } from "./loops/garbage-collection.js";
import { housekeepingLoop } from "./loops/housekeeping.js";
import { initializeLoop } from "./loops/initialize.js";
import { projectionLoop } from "./loops/projection.js";
import { runManagementLoop } from "./loops/run-management.js";
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from "./options.js";
import { createWorkerWatch } from "./workers/worker-watch.js";

export const ENGINE_LOOPS = ["projection", "initialize", "run-management", "finishing", "garbage-collection", "housekeeping"] as const;
export type EngineLoop = (typeof ENGINE_LOOPS)[number];

export interface EngineDependencies {
  database: Database;
  store: DataStore;
  runtime: WorkerRuntime;
  hooks?: HookUrls;
  options?: Partial<EngineOptions>;
  logger: LoopLogger;
  /** where worker starts and failures are counted; nowhere by default */
  metrics?: EngineMetrics;
}

export interface Engine {
  /** Starts the given loops in this process (any subset, any number of processes). */
  start(loops: Iterable<EngineLoop>): Promise<void>;
  /** A live stream of a run's worker output (for `GET /api/runs/{id}/log?follow`). */
  followLog(runId: string): Promise<NodeJS.ReadableStream | undefined>;
  /** Stops the loops, the watchers and the runtime; after-hook calls in flight are awaited. */
  stop(): Promise<void>;
}

export function createEngine(dependencies: EngineDependencies): Engine {
  const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...dependencies.options };
  const { database, store, runtime, logger } = dependencies;
  const running: RunningLoop[] = [];
  const hooks = createLifecycleHooks(dependencies.hooks ?? NO_HOOKS, options.hookTimeoutMs, (message) => logger.warn?.(message));
  const watch = createWorkerWatch(runtime, store, (message, error) => logger.error(message, error));
  const removals = new Set<Promise<void>>();
  const context: EngineContext = {
    database,
    store,
    runtime,
    hooks,
    options,
    logger,
    metrics: dependencies.metrics ?? NO_ENGINE_METRICS,
    watch,
    wake: (status) => {
      for (const loop of running) loop.wake(status);
    },
    removeLater: (runId) => {
      const removal = runtime
        .remove(runId)
        .catch((error: unknown) => logger.error(`removing the worker of run ${runId} failed; housekeeping removes it later`, error))
        .finally(() => removals.delete(removal));
      removals.add(removal);
    },
  };
  const definitions: Record<EngineLoop, () => LoopDefinition> = {
    projection: () => projectionLoop(database),
    initialize: () => initializeLoop(context),
    "run-management": () => runManagementLoop(context),
    finishing: () => finishingLoop(context),
    "garbage-collection": () => garbageCollectionLoop(context),
    housekeeping: () => housekeepingLoop(context),
  };

  return {
    async start(loops) {
      for (const name of new Set(loops)) {
        running.push(await startLoop(database, { errorBackoffMs: options.errorRetryMs, ...definitions[name]() }, logger));
      }
    },
    followLog: (runId) => runtime.logs(runId, { follow: true }),
    async stop() {
      await Promise.all(running.map((loop) => loop.stop()));
      running.length = 0;
      await watch.close();
      await Promise.all([...removals]);
      await hooks.settle();
      await runtime.close();
    },
  };
}
