import { loadRuns, recordTransition, releaseWorkerSlot, suspendRun, type ClaimedRun, type RunRecord, type Transition, type TransitionOutcome } from "@knitfab/db";
import type { RunStatus } from "@knitfab/domain";
import type { EngineContext } from "./engine-context.js";
import { BeforeHookError } from "./hooks/lifecycle-hooks.js";
import { runDetailJson } from "./run-json.js";

/** Before hooks for a transition of `run` (as it is now); throws BeforeHookError when one refuses. */
export async function beforeHooks(context: EngineContext, run: RunRecord): Promise<Record<string, string>> {
  if (!context.hooks.hasBefore) return {};
  return context.hooks.before(runDetailJson(run));
}

/** Records the transition (compare-and-set on the claimed status) and, if it happened, tells the after hooks. */
export async function commit(
  context: EngineContext,
  claimed: ClaimedRun,
  to: RunStatus,
  extra: Omit<Transition, "runId" | "from" | "to"> = {},
): Promise<TransitionOutcome> {
  const outcome = await recordTransition(context.database, { runId: claimed.runId, from: claimed.status, to, ...extra });
  if (outcome === "change") {
    context.wake(to);
    if (context.hooks.hasAfter) {
      const [run] = await loadRuns(context.database.db, [claimed.runId]);
      if (run) context.hooks.after(runDetailJson(run));
    }
  }
  return outcome;
}

/**
 * Runs `work` on a claimed run while renewing its lease, so a slow engine or hook never lets another
 * process take the run meanwhile. A failure postpones the run: a refused before hook by the hook
 * retry delay (the transition is tried again later: at least once), anything else by the error delay.
 */
export async function withClaim(context: EngineContext, loop: string, claimed: ClaimedRun, work: () => Promise<void>): Promise<void> {
  const { database, options } = context;
  let renewing = true;
  const renew = setInterval(() => {
    if (renewing) void suspendRun(database.db, claimed.runId, claimed.status, options.leaseMs).catch(() => {});
  }, Math.max(100, Math.floor(options.leaseMs / 3)));
  try {
    await work();
  } catch (error) {
    renewing = false;
    clearInterval(renew);
    const hookRefused = error instanceof BeforeHookError;
    const delay = hookRefused ? options.hookRetryMs : options.errorRetryMs;
    // A refused starting hook gates a start that did not happen: its worker slot goes to another run.
    if (hookRefused && claimed.status === "ready") await releaseWorkerSlot(database.db, claimed.runId).catch(() => {});
    await suspendRun(database.db, claimed.runId, claimed.status, delay).catch(() => {});
    const what = `${loop}: run ${claimed.runId} (${claimed.status}) is tried again in ${delay} ms`;
    if (hookRefused) context.logger.warn?.(`${what}: ${error.message}`);
    else context.logger.error(what, error);
  } finally {
    renewing = false;
    clearInterval(renew);
  }
}
