/**
 * What the engine tells a metrics collector, when one is given: an optional sink, so the engine
 * knows nothing of Prometheus (the server turns these calls into prom-client counters). Counts that
 * the database already holds (runs by status, backlogs) are not reported here: they are read at
 * scrape time, so they are right whichever process runs the loops.
 */
export interface EngineMetrics {
  /** A run's worker was created and started. */
  workerStarted(): void;
  /**
   * A run failed because of its worker, counted once per run when it moves to aborting. `reason` is
   * a short CamelCase word: the runtime's refusal (ErrImagePull, CreateContainerError,
   * CreateContainerConfigError, ...), StartTimeout (or what kept it pending), WorkerMissing, TaskFailed.
   */
  workerFailed(reason: string): void;
}

export const NO_ENGINE_METRICS: EngineMetrics = { workerStarted: () => {}, workerFailed: () => {} };
