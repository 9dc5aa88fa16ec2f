import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { countPendingNominations, countRunsByStatus, dataTotals, type Database } from "@knitfab/db";
import { RUN_STATUSES, type RunStatus } from "@knitfab/domain";
import type { EngineMetrics } from "@knitfab/engine";

/**
 * The server's Prometheus metrics (README, "Monitoring"). Names follow Prometheus' conventions:
 * the `knitfab_` prefix, base units (seconds, bytes), `_total` for counters, and no ids as labels
 * (a label per run or Data would make a series per run). What the database holds is read at scrape
 * time with a few aggregate queries, never per request, so every process reports the whole system.
 */
export interface ServerMetrics {
  /** The text exposition of every metric (database figures and free space read now). */
  render(): Promise<string>;
  readonly contentType: string;
  /** where the engine counts worker starts and failures */
  readonly engine: EngineMetrics;
  /** records one answered HTTP request */
  observeRequest(labels: { method: string; route: string; statusCode: number }, seconds: number): void;
  /** Looks at the data store's free space now (also done periodically and at every scrape). */
  checkFreeSpace(): Promise<void>;
  stop(): void;
}

export interface MetricsSources {
  database: Database;
  /** free bytes where the data store writes (DataStore.freeSpace); undefined when the store cannot tell */
  freeSpace: () => Promise<number | undefined>;
  /** below this many free bytes the data store counts as low on space (warned once per crossing) */
  freeSpaceWarningBytes: number;
  /** where the low-space warning and its recovery are said */
  log: { warn(message: string): void; info(message: string): void };
  /** how often free space is looked at without a scrape */
  freeSpaceCheckMs?: number;
}

/** Run statuses each loop takes up (spec/loops.md); the projection loop's backlog is nominations. */
const LOOP_STATUSES: Record<string, readonly RunStatus[]> = {
  initialize: ["waiting"],
  "run-management": ["ready", "starting", "running"],
  finishing: ["completing", "aborting"],
};

/** Worker failure reasons are words the engine and runtime choose; anything else is folded, so labels stay few. */
const REASON = /^[A-Za-z]{1,40}$/;

export function createServerMetrics(sources: MetricsSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runs = new Gauge({ name: "knitfab_runs", help: "Runs by status.", labelNames: ["status"], registers: [registry] });
  const backlog = new Gauge({
    name: "knitfab_loop_backlog",
    help: "Items a loop may take up now: due runs in the statuses it handles; for projection, Data nominations not yet projected.",
    labelNames: ["loop"],
    registers: [registry],
  });
  const lag = new Gauge({
    name: "knitfab_loop_lag_seconds",
    help: "How long the oldest due run of a loop has waited for it (0 when none waits).",
    labelNames: ["loop"],
    registers: [registry],
  });
  const workerStarts = new Counter({ name: "knitfab_worker_starts_total", help: "Workers created and started by this process.", registers: [registry] });
  const workerFailures = new Counter({
    name: "knitfab_worker_failures_total",
    help: "Runs this process failed because of their worker, by reason (ErrImagePull, CreateContainerError, StartTimeout, WorkerMissing, TaskFailed, ...).",
    labelNames: ["reason"],
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: "knitfab_http_request_duration_seconds",
    help: "Time to answer HTTP requests, by method, route pattern and status code.",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const dataRecords = new Gauge({ name: "knitfab_data_records", help: "Data recorded, outputs of runs not finished yet included.", registers: [registry] });
  const dataBytes = new Gauge({ name: "knitfab_data_stored_bytes", help: "Bytes of the files of Data whose content is complete.", registers: [registry] });
  const freeBytes = new Gauge({ name: "knitfab_data_store_free_bytes", help: "Free space of the data store's file system, for this server's user.", registers: [registry] });
  const warningBytes = new Gauge({
    name: "knitfab_data_store_free_space_warning_bytes",
    help: "Below this much free space the data store counts as low (--free-space-warning).",
    registers: [registry],
  });
  const low = new Gauge({ name: "knitfab_data_store_free_space_low", help: "1 while the data store's free space is below the warning level, else 0.", registers: [registry] });
  warningBytes.set(sources.freeSpaceWarningBytes);
  low.set(0);
  workerStarts.inc(0);

  let isLow = false;
  const checkFreeSpace = async (): Promise<void> => {
    const free = await sources.freeSpace();
    if (free === undefined) return;
    freeBytes.set(free);
    const nowLow = free < sources.freeSpaceWarningBytes;
    if (nowLow && !isLow) {
      sources.log.warn(
        `the data store is low on space: ${free} bytes free, below the warning level of ${sources.freeSpaceWarningBytes} (--free-space-warning); ` +
          "free space or grow the disk before uploads and run outputs are refused",
      );
    } else if (!nowLow && isLow) {
      sources.log.info(`the data store has space again: ${free} bytes free`);
    }
    isLow = nowLow;
    low.set(nowLow ? 1 : 0);
  };
  const timer = setInterval(() => void checkFreeSpace().catch(() => {}), sources.freeSpaceCheckMs ?? 60_000);
  timer.unref();

  const readDatabase = async (): Promise<void> => {
    const db = sources.database.db;
    const [counts, totals, nominations] = await Promise.all([countRunsByStatus(db), dataTotals(db), countPendingNominations(db)]);
    const byStatus = new Map(counts.map((count) => [count.status, count]));
    for (const status of RUN_STATUSES) runs.set({ status }, byStatus.get(status)?.runs ?? 0);
    const now = Date.now();
    for (const [loop, statuses] of Object.entries(LOOP_STATUSES)) {
      const mine = statuses.flatMap((status) => byStatus.get(status) ?? []);
      backlog.set({ loop }, mine.reduce((sum, count) => sum + count.due, 0));
      const oldest = Math.min(...mine.flatMap((count) => (count.oldestDueSince ? [count.oldestDueSince.getTime()] : [])));
      lag.set({ loop }, Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0);
    }
    backlog.set({ loop: "projection" }, nominations);
    dataRecords.set(totals.count);
    dataBytes.set(totals.bytes);
  };

  return {
    contentType: registry.contentType,
    async render() {
      await Promise.all([readDatabase(), checkFreeSpace()]);
      return registry.metrics();
    },
    engine: {
      workerStarted: () => workerStarts.inc(),
      workerFailed: (reason) => workerFailures.inc({ reason: REASON.test(reason) ? reason : "Other" }),
    },
    observeRequest({ method, route, statusCode }, seconds) {
      requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
    checkFreeSpace,
    stop: () => clearInterval(timer),
  };
}
