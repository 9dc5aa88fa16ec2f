import { CHANNEL, claimRun, recordDataSize, loadRuns, pendingReasons, setWorkerPendingReason, suspendRun, type ClaimedRun, type RunRecord } from "@knitfab/db";
import type { EngineContext } from "../engine-context.js";
import type { LoopDefinition } from "../loop-runner.js";
import { beforeHooks, commit, withClaim } from "../transitions.js";
import { workerRecordsLog, writeLogFile } from "../workers/log-files.js";

/**
 * completing → done, aborting → failed (spec/loops.md §5): saves the worker's complete log, removes
 * the worker (killing it if it still runs: abort, tearoff), seals the outputs, and records the end,
 * which stamps knit#timestamp and nominates the outputs for downstream plans.
 */
export function finishingLoop(context: EngineContext): LoopDefinition {
  return {
    name: "finishing",
    channels: [CHANNEL.runStatus],
    wakesOn: (status) => ["completing", "aborting"].includes(status),
    pollMs: 1_000,
    concurrency: context.options.concurrency,
    step: async () => {
      const claimed = await claimRun(context.database.db, {
        statuses: ["completing", "aborting"],
        imageRuns: true,
        pseudoPlans: ["knit#uploaded", "knit#imported"],
        leaseMs: context.options.leaseMs,
      });
      if (!claimed) return false;
      await withClaim(context, "finishing", claimed, async () => {
        const [run] = await loadRuns(context.database.db, [claimed.runId]);
        if (!run || run.status !== claimed.status) return;
        const to = claimed.status === "completing" ? "done" : "failed";
        await beforeHooks(context, run);
        if (claimed.pseudoName !== null) {
          // What an importer wrote is made safe as a task's output is (uploads are, on extraction).
          if (claimed.pseudoName === "knit#imported" && to === "done") await sealOutputs(context, run);
          await commit(context, claimed, to);
          return;
        }
        let exited: boolean;
        try {
          exited = await releaseWorker(context, run);
        } catch (error) {
          const code = outOfSpaceCode(error);
          if (code === undefined) throw error;
          return waitForSpace(context, claimed, code);
        }
        const outcome = await commit(context, claimed, to, { deleteWorker: true });
        // An exited worker changes nothing any more: it is removed after the run is recorded, so the
        // next step of a pipeline does not wait for the engine's clean-up.
        if (exited) {
          if (outcome === "change") context.removeLater(run.runId);
          else await context.runtime.remove(run.runId);
        }
      });
      return true;
    },
  };
}

/**
 * Every step is idempotent, so a crash anywhere is repaired by doing it all again: the log is
 * rewritten from the engine's copy while the worker exists (unless the worker writes it itself) (and left as recorded once it is gone),
 * removal of a missing worker is a no-op, and sealing twice is harmless. A worker still running
 * (abort, tearoff) is removed here, before its outputs become final; an exited one is left for the
 * caller to remove once the run is recorded. Returns whether the worker had exited.
 */
async function releaseWorker(context: EngineContext, run: RunRecord): Promise<boolean> {
  const { runtime, store, watch } = context;
  await watch.forget(run.runId);
  // A worker that wrote its log itself has it complete once it has exited (its log sidecar ends
  // after the task); one stopped here keeps what the sidecar wrote until then.
  if (run.log && !workerRecordsLog(context, run.log.knitId)) {
    const full = await runtime.logs(run.runId, { follow: false });
    if (full) await writeLogFile(store, run.log.knitId, full);
  }
  const state = await runtime.inspect(run.runId);
  const exited = state.phase === "succeeded" || state.phase === "failed" || state.phase === "missing";
  if (!exited) await runtime.remove(run.runId);
  await sealOutputs(context, run);
  return exited;
}

/**
 * Seals every output and the log once nothing writes into them any more. Outputs of a run that never
 * started get empty content, so every finished Data can be read. What a task left that would be a
 * hazard on the host (setuid files, devices, links leading outside) is defused by the store, and said.
 */
async function sealOutputs(context: EngineContext, run: RunRecord): Promise<void> {
  const { store, logger } = context;
  for (const output of [...run.outputs, ...(run.log ? [run.log] : [])]) {
    if (!(await store.exists(output.knitId))) await store.prepare(output.knitId);
    const { privilegeBits, specialFiles, outsideLinks, bytes } = await store.seal(output.knitId);
    await recordDataSize(context.database.db, output.knitId, bytes);
    const defused = [
      ...privilegeBits.map((name) => `${name} (setuid/setgid bits cleared)`),
      ...specialFiles.map((name) => `${name} (special file removed)`),
      ...outsideLinks.map((name) => `${name} (link leading outside removed)`),
    ];
    if (defused.length > 0) logger.warn?.(`run ${run.runId}: output ${output.knitId} was made safe: ${defused.join(", ")}`);
  }
}

/** The disk (or the quota) of the Data store is full. */
function outOfSpaceCode(error: unknown): string | undefined {
  for (let at: unknown = error; at instanceof Error; at = at.cause) {
    const code = (at as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") return code;
  }
  return undefined;
}

/**
 * Nothing is lost while the disk is full: the worker's output stays where it is and the run stays
 * in its status, tried again after the error delay. But people are told, once, what to do: the
 * server log says it, and the run shows it (`GET /api/runs/{runId}` carries it as a Warning header).
 */
async function waitForSpace(context: EngineContext, claimed: ClaimedRun, code: string): Promise<void> {
  const { database, options, logger } = context;
  const reason =
    `waiting for disk space: the disk of the Data store is full (${code}); ` +
    "free space there (for example delete Data nobody needs, or grow the disk) and the run finishes by itself";
  if ((await pendingReasons(database.db, [claimed.runId])).get(claimed.runId) !== reason) {
    await setWorkerPendingReason(database.db, claimed.runId, reason);
    logger.warn?.(`finishing: run ${claimed.runId} (${claimed.status}) is ${reason}`);
  }
  await suspendRun(database.db, claimed.runId, claimed.status, options.errorRetryMs);
}

export type { ClaimedRun };
