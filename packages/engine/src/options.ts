/** Tunables of the engine. Defaults suit one machine; tests shorten them. */
export interface EngineOptions {
  /** How long a claimed run is hidden from other claimers; renewed while the claimer works. */
  leaseMs: number;
  /** A running worker is looked at again after this long even if no exit event arrived (the fallback). */
  watchDebounceMs: number;
  /** A worker created but not running yet is looked at again after this long. */
  pendingRecheckMs: number;
  /** A run whose before hook failed is tried again after this long. */
  hookRetryMs: number;
  /** A run whose step failed (engine down, say) is tried again after this long. */
  errorRetryMs: number;
  /** A start not running after this long aborts the run with exit 255. */
  startTimeoutMs: number;
  /** Refused starts of a run's worker (the engine refused the container) before the run fails with exit 255. */
  startAttempts: number;
  /** How long a before/after hook may take before it counts as failed. */
  hookTimeoutMs: number;
  /** Most workers starting or running at once; further ready runs wait. 0 = unlimited. */
  maxWorkers: number;
  /** Steps of the run-management and finishing loops in flight at once in this process. */
  concurrency: number;
  /** Housekeeping period; it also runs when the engine starts. */
  housekeepingMs: number;
  /** Partial uploads older than this without a live transfer record are removed. */
  partialGraceMs: number;
  /** Upload runs with a live transfer are looked at again after this long. */
  uploadRecheckMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  leaseMs: 15_000,
  watchDebounceMs: 10_000,
  pendingRecheckMs: 1_000,
  hookRetryMs: 2_000,
  errorRetryMs: 5_000,
  startTimeoutMs: 300_000,
  startAttempts: 3,
  hookTimeoutMs: 10_000,
  maxWorkers: 16,
  concurrency: 4,
  housekeepingMs: 30_000,
  partialGraceMs: 600_000,
  uploadRecheckMs: 10_000,
};

export class EngineConfigError extends Error {
  override name = "EngineConfigError";
}

const DURATION_KEYS: Record<string, keyof EngineOptions> = {
  KNITFAB_LEASE_MS: "leaseMs",
  KNITFAB_WATCH_DEBOUNCE_MS: "watchDebounceMs",
  KNITFAB_HOOK_RETRY_MS: "hookRetryMs",
  KNITFAB_ERROR_RETRY_MS: "errorRetryMs",
  KNITFAB_START_TIMEOUT_MS: "startTimeoutMs",
  KNITFAB_START_ATTEMPTS: "startAttempts",
  KNITFAB_HOOK_TIMEOUT_MS: "hookTimeoutMs",
  KNITFAB_MAX_WORKERS: "maxWorkers",
  KNITFAB_LOOP_CONCURRENCY: "concurrency",
  KNITFAB_HOUSEKEEPING_MS: "housekeepingMs",
  KNITFAB_PARTIAL_GRACE_MS: "partialGraceMs",
  KNITFAB_UPLOAD_RECHECK_MS: "uploadRecheckMs",
};

/** Engine options from `KNITFAB_*` environment variables over the defaults; bad values are refused with the variable's name. */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv, base: EngineOptions = DEFAULT_ENGINE_OPTIONS): EngineOptions {
  const options: EngineOptions = { ...base };
  for (const [variable, key] of Object.entries(DURATION_KEYS)) {
    const text = env[variable];
    if (text === undefined || text === "") continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new EngineConfigError(`${variable} must be a whole number ≥ 0, got "${text}"`);
    (options[key] as number) = value;
  }
  if (options.startAttempts < 1) throw new EngineConfigError("KNITFAB_START_ATTEMPTS must be at least 1");
  if (options.concurrency < 1) throw new EngineConfigError("KNITFAB_LOOP_CONCURRENCY must be at least 1");
  return options;
}
