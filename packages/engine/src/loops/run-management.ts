import {
  CHANNEL,
  claimRun,
  discardRootRun,
  hasLiveWriter,
  loadRuns,
  loadWorkerContext,
  lockRun,
  recordStartFailure,
  releaseWorkerSlot,
  runsWithWorker,
  setWorkerPendingReason,
  suspendRun,
  wakeRun,
  type ClaimedRun,
  type RunRecord,
  type WorkerContext,
} from "@knitfab/db";
import type { RunStatus } from "@knitfab/domain";
import { WorkerStartError, WorkerUnschedulableError, workerName, type WorkerState } from "@knitfab/drivers";
import type { EngineContext } from "../engine-context.js";
import type { LoopDefinition } from "../loop-runner.js";
import { beforeHooks, commit, withClaim } from "../transitions.js";
import { workerRecordsLog } from "../workers/log-files.js";
import { workerSpecOf } from "../workers/worker-spec.js";

const ACTIVE: readonly RunStatus[] = ["starting", "running"];

/**
 * Starts each ready run's worker and follows it to its end (spec/loops.md §4): ready → starting when
 * the worker is created, then running, completing or aborting as the worker reports; 254 when the
 * worker vanished, 255 when it did not start in time. Upload and import runs past their deadline end here too.
 */
export function runManagementLoop(context: EngineContext): LoopDefinition {
  return {
    name: "run-management",
    channels: [CHANNEL.runStatus],
    // ready and active runs are its work; a run leaving starting/running frees a worker slot
    wakesOn: (status) => ["ready", "starting", "running", "completing", "aborting", "done", "failed"].includes(status),
    pollMs: 1_000,
    concurrency: context.options.concurrency,
    step: async () => {
      const { database, options } = context;
      // At capacity, ready runs are not claimed (the claim takes a worker slot atomically); a
      // finishing run's NOTIFY wakes the loop again.
      const claimed = await claimRun(database.db, {
        statuses: ["ready", ...ACTIVE],
        imageRuns: true,
        pseudoPlans: ["knit#uploaded", "knit#imported"],
        leaseMs: options.leaseMs,
        maxWorkers: options.maxWorkers,
      });
      if (!claimed) return false;
      await withClaim(context, "run-management", claimed, () =>
        claimed.pseudoName === null ? manageWorker(context, claimed) : managePseudoRun(context, claimed),
      );
      return true;
    },
  };
}

async function manageWorker(context: EngineContext, claimed: ClaimedRun): Promise<void> {
  const { database, runtime } = context;
  const [run] = await loadRuns(database.db, [claimed.runId]);
  const worker = await loadWorkerContext(database.db, claimed.runId);
  if (!run || !worker || run.status !== claimed.status) return;
  const state = await runtime.inspect(run.runId);
  if (state.phase === "missing") {
    if (claimed.status === "ready") return startWorker(context, claimed, run, worker);
    await beforeHooks(context, run);
    const outcome = await commit(context, claimed, "aborting", { exit: { code: 254, message: "worker for the run is not found" } });
    if (outcome === "change") context.metrics.workerFailed("WorkerMissing");
    return;
  }
  const observed = observe(context, claimed, state);
  if (observed.to === claimed.status) {
    const why = state.phase === "pending" ? (state.stuck ?? state.waiting) : undefined;
    const reason = why ? `${why.reason}: ${why.message}` : null;
    if (reason !== worker.pendingReason) await setWorkerPendingReason(database.db, run.runId, reason);
    const debounceMs = state.phase === "running" ? context.options.watchDebounceMs : context.options.pendingRecheckMs;
    await commit(context, claimed, claimed.status, { debounceMs });
    if (state.phase === "running") followWorker(context, run);
    return;
  }
  // A worker found while the run is still ready was created by a process that died before recording
  // it: the reference records "starting" without hooks then.
  if (!(claimed.status === "ready" && observed.to === "starting")) await beforeHooks(context, run);
  const outcome = await commit(context, claimed, observed.to, observed.exit ? { exit: observed.exit } : {});
  if (outcome === "change" && (observed.to === "starting" || observed.to === "running")) followWorker(context, run);
  if (outcome === "change" && observed.failure) context.metrics.workerFailed(observed.failure);
}

/** What the worker's state means for the run. */
function observe(context: EngineContext, claimed: ClaimedRun, state: Exclude<WorkerState, { phase: "missing" }>): {
  to: RunStatus;
  exit?: { code: number; message: string };
  /** why the worker failed, for the metrics (see EngineMetrics.workerFailed) */
  failure?: string;
} {
  switch (state.phase) {
    case "pending": {
      const waited = Date.now() - claimed.updatedAt.getTime();
      if (claimed.status !== "ready" && waited > context.options.startTimeoutMs) {
        const why = state.stuck ? `[${state.stuck.reason}] ${state.stuck.message}` : "[StartTimeout] the worker did not start";
        return {
          to: "aborting",
          exit: { code: 255, message: `(pod ${workerName(claimed.runId)}) ${why} (waited ${Math.round(waited / 1000)} s)` },
          failure: state.stuck?.reason ?? "StartTimeout",
        };
      }
      return { to: "starting" };
    }
    case "running":
      return { to: "running" };
    case "succeeded":
      return { to: "completing", exit: { code: 0, message: "" } };
    case "failed":
      return { to: "aborting", exit: { code: state.exitCode, message: state.message }, failure: "TaskFailed" };
  }
}

async function startWorker(context: EngineContext, claimed: ClaimedRun, run: RunRecord, worker: WorkerContext): Promise<void> {
  const { database, runtime, store } = context;
  const spec = workerSpecOf(run, worker, store, {});
  // Placement is the runtime's: asked before the hooks, so a waiting run does not call them again and again.
  const unplaced = await runtime.unplaceable(spec.onNode);
  if (unplaced !== undefined) return waitForPlacement(context, run, worker, unplaced);
  const env = await beforeHooks(context, run);
  try {
    await runtime.start({ ...spec, env: { ...spec.env, ...env } });
  } catch (error) {
    if (error instanceof WorkerUnschedulableError) return waitForPlacement(context, run, worker, error.message);
    if (!(error instanceof WorkerStartError)) throw error;
    return refusedStart(context, claimed, run, error);
  }
  context.metrics.workerStarted();
  const outcome = await commit(context, claimed, "starting", { env });
  if (outcome === "moved") {
    // Aborted (and perhaps already finished) while we were starting it: do not leave the worker behind.
    if (!(await runsWithWorker(database.db, [run.runId])).has(run.runId)) await runtime.remove(run.runId);
    return;
  }
  followWorker(context, run);
}

/**
 * Not an error: the run waits, visibly (the reason shows in the run log's 503 and the server log),
 * until the runtime can place it (the machine gets the label) or the run is aborted.
 */
async function waitForPlacement(context: EngineContext, run: RunRecord, worker: WorkerContext, reason: string): Promise<void> {
  const { database, options } = context;
  if (reason !== worker.pendingReason) {
    await setWorkerPendingReason(database.db, run.runId, reason);
    context.logger.warn?.(`run ${run.runId}: ${reason}`);
  }
  await releaseWorkerSlot(database.db, run.runId);
  await suspendRun(database.db, run.runId, "ready", options.watchDebounceMs);
}

/**
 * A start the runtime refused: the run fails with exit 255 in the reference's shape
 * `(pod NAME) [REASON] NOTE` at once when trying again cannot help (image not pullable, a spec no
 * engine can run), else after `startAttempts` refusals; until then it waits, visibly, and is tried
 * again after the error delay. One log line per refusal, so a stuck run cannot flood the log.
 */
async function refusedStart(context: EngineContext, claimed: ClaimedRun, run: RunRecord, error: WorkerStartError): Promise<void> {
  const { database, options, logger } = context;
  const failures = await recordStartFailure(database.db, run.runId);
  const message = `(pod ${workerName(run.runId)}) [${error.reason}] ${error.message}`;
  if (error.final || failures >= options.startAttempts) {
    await beforeHooks(context, run);
    const outcome = await commit(context, claimed, "aborting", { exit: { code: 255, message } });
    if (outcome === "change") {
      logger.warn?.(`run ${run.runId} cannot start and failed with exit 255: ${message}`);
      context.metrics.workerFailed(error.reason);
    }
    return;
  }
  const reason = `start attempt ${failures} of ${options.startAttempts} was refused, trying again: ${message}`;
  await setWorkerPendingReason(database.db, run.runId, reason);
  await releaseWorkerSlot(database.db, run.runId);
  await suspendRun(database.db, run.runId, "ready", options.errorRetryMs);
  logger.warn?.(`run ${run.runId}: ${reason}`);
}

/**
 * Records the log as it is written (unless the worker writes it itself, see
 * WorkerRuntime.recordsLog) and wakes the loops the moment the worker ends.
 */
function followWorker(context: EngineContext, run: RunRecord): void {
  const { watch, database } = context;
  if (run.log && !workerRecordsLog(context, run.log.knitId)) watch.record(run.runId, run.log.knitId);
  watch.watch(run.runId, async () => {
    if (await wakeRun(database.db, run.runId, ACTIVE)) context.wake();
  });
}

/**
 * Upload and import runs whose deadline passed (spec/model.md §9): an upload whose transfer is still
 * alive is looked at again later; one whose transfer died is discarded with its partial content, so
 * nothing incomplete stays visible. An import not ended in time is aborted (→ failed), as the reference does.
 */
async function managePseudoRun(context: EngineContext, claimed: ClaimedRun): Promise<void> {
  const { database, options } = context;
  if (claimed.status !== "running") return;
  if (claimed.pseudoName === "knit#uploaded") {
    if (await hasLiveWriter(database.db, claimed.runId)) {
      await suspendRun(database.db, claimed.runId, "running", options.uploadRecheckMs);
      return;
    }
    await database.db.transaction().execute(async (trx) => {
      const run = await lockRun(trx, claimed.runId);
      if (run.status === "running") await discardRootRun(trx, claimed.runId);
    });
    context.logger.warn?.(`run-management: upload run ${claimed.runId} had no live transfer after its deadline; discarded`);
    return;
  }
  if (claimed.pseudoName === "knit#imported") {
    const [run] = await loadRuns(database.db, [claimed.runId]);
    if (!run || run.status !== "running") return;
    await beforeHooks(context, run);
    await commit(context, claimed, "aborting");
  }
}
