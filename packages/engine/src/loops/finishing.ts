import { CHANNEL, claimRun, loadRuns, type ClaimedRun, type RunRecord } from "@knitfab/db";
import type { EngineContext } from "../engine-context.js";
import type { LoopDefinition } from "../loop-runner.js";
import { beforeHooks, commit, withClaim } from "../transitions.js";
import { writeLogFile } from "../workers/log-files.js";

/**
 * completing → done, aborting → failed (spec/loops.md §5): saves the worker's complete log, removes
 * the worker (killing it if it still runs: abort, tearoff), seals the outputs, and records the end,
 * which stamps knit#timestamp and nominates the outputs for downstream plans.
 */
export function finishingLoop(context: EngineContext): LoopDefinition {
  return {
    name: "finishing",
    channels: [CHANNEL.runStatus],
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
          await commit(context, claimed, to);
          return;
        }
        await releaseWorker(context, run);
        await commit(context, claimed, to, { deleteWorker: true });
      });
      return true;
    },
  };
}

/**
 * Every step is idempotent, so a crash anywhere is repaired by doing it all again: the log is
 * rewritten from the engine's copy while the worker exists (and left as recorded once it is gone),
 * removal of a missing worker is a no-op, and sealing twice is harmless.
 */
async function releaseWorker(context: EngineContext, run: RunRecord): Promise<void> {
  const { runtime, store, watch } = context;
  await watch.forget(run.runId);
  if (run.log) {
    const full = await runtime.logs(run.runId, { follow: false });
    if (full) await writeLogFile(store, run.log.knitId, full);
  }
  await runtime.remove(run.runId);
  // Outputs of a run that never started get empty content, so every finished Data can be read.
  for (const output of [...run.outputs, ...(run.log ? [run.log] : [])]) {
    if (!(await store.exists(output.knitId))) await store.allocate(output.knitId);
    await store.seal(output.knitId);
  }
}

export type { ClaimedRun };
