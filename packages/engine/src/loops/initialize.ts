import { CHANNEL, claimRun, loadRuns } from "@knitfab/db";
import type { EngineContext } from "../engine-context.js";
import type { LoopDefinition } from "../loop-runner.js";
import { beforeHooks, commit, withClaim } from "../transitions.js";
import { touchLogFile } from "../workers/log-files.js";

/** waiting → ready: gives every output and the log an empty writable volume (spec/loops.md §3). */
export function initializeLoop(context: EngineContext): LoopDefinition {
  return {
    name: "initialize",
    channels: [CHANNEL.runStatus],
    wakesOn: (status) => ["waiting"].includes(status),
    pollMs: 1_000,
    concurrency: 2,
    step: async () => {
      const claimed = await claimRun(context.database.db, {
        statuses: ["waiting"],
        imageRuns: true,
        pseudoPlans: [],
        leaseMs: context.options.leaseMs,
      });
      if (!claimed) return false;
      await withClaim(context, "initialize", claimed, async () => {
        const [run] = await loadRuns(context.database.db, [claimed.runId]);
        if (!run || run.status !== claimed.status) return;
        await beforeHooks(context, run);
        // Idempotent: a crash after this point finds the volumes there and prepares them again.
        for (const output of [...run.outputs, ...(run.log ? [run.log] : [])]) await context.store.prepare(output.knitId);
        if (run.log) await touchLogFile(context.store, run.log.knitId);
        await commit(context, claimed, "ready");
      });
      return true;
    },
  };
}
