import { hasLiveWriterFor, removeStaleAgents, runStates, runsWithWorker } from "@knitfab/db";
import type { EngineContext } from "../engine-context.js";
import type { LoopDefinition } from "../loop-runner.js";

/** Read-transfer records do not renew themselves; after this long past their deadline they are surely dead. */
const READ_AGENT_GRACE_MS = 3_600_000;

/**
 * Removes what crashes and races leave behind (spec/loops.md §6, adapted to one machine): worker
 * containers whose run has no worker any more, partial uploads nobody writes, and transfer records of
 * dead processes. Runs when the engine starts and then periodically.
 */
export function housekeepingLoop(context: EngineContext): LoopDefinition {
  return {
    name: "housekeeping",
    channels: [],
    pollMs: context.options.housekeepingMs,
    step: async () => {
      await housekeepOnce(context);
      return false;
    },
  };
}

export interface HousekeepingReport {
  /** containers of runs that ended a while ago (finishing's removal was lost, or an abort raced a start) */
  orphanWorkers: string[];
  partials: string[];
  agents: number;
}

export async function housekeepOnce(context: EngineContext): Promise<HousekeepingReport> {
  const { database, runtime, store, options } = context;
  const report: HousekeepingReport = { orphanWorkers: [], partials: [], agents: 0 };

  // A container is an orphan when its run is ours (the run exists in this database) but has no worker
  // row any more. Finishing records the end (deleting the row) and then removes the exited container
  // in the background, so a run that ended less than a lease ago is simply finishing: left alone.
  // Containers of runs this database does not know belong to someone else and are left alone too.
  const listed = await runtime.listWorkers();
  const withWorker = await runsWithWorker(database.db, listed);
  const states = await runStates(database.db, listed);
  for (const runId of listed) {
    const state = states.get(runId.toLowerCase());
    if (state === undefined || withWorker.has(runId.toLowerCase())) continue;
    if (Date.now() - state.updatedAt.getTime() < options.leaseMs) continue;
    // Check again right before removing: a retry may have given the run a new worker meanwhile.
    if ((await runsWithWorker(database.db, [runId])).size > 0) continue;
    // Finishing may have removed it since the listing; a removal racing it is no error either.
    if ((await runtime.inspect(runId)).phase === "missing") continue;
    await runtime.remove(runId);
    report.orphanWorkers.push(runId);
  }

  const now = Date.now();
  for (const partial of await store.listPartials()) {
    if (now - partial.mtime.getTime() < options.partialGraceMs) continue;
    const knitId = partial.name.split(".")[0] ?? "";
    if (await hasLiveWriterFor(database.db, knitId)) continue;
    await store.removePartial(partial.name);
    report.partials.push(partial.name);
  }

  report.agents = await removeStaleAgents(database.db, options.leaseMs, READ_AGENT_GRACE_MS);
  if (report.orphanWorkers.length > 0 || report.partials.length > 0) {
    context.logger.warn?.(`housekeeping: removed ${report.orphanWorkers.length} orphan worker(s), ${report.partials.length} partial upload(s)`);
  }
  return report;
}
