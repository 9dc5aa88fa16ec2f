import { sql } from "kysely";
import { NotFoundError, type RunStatus } from "@knitfab/domain";
import type { Database } from "../database.js";
import { IllegalTransitionError, setRunExit, setRunStatus } from "../runs/set-status.js";

export interface Transition {
  runId: string;
  /** the status the caller saw when it claimed the run: the compare in compare-and-set */
  from: RunStatus;
  to: RunStatus;
  /** exit record to upsert with the change */
  exit?: { code: number; message: string };
  /** for from === to: when to look at the run again */
  debounceMs?: number;
  /** environment injected by before hooks (ready → starting) */
  env?: Record<string, string>;
  /** the worker is gone for good (finishing) */
  deleteWorker?: boolean;
}

/** "change": applied; "noop": same status, only postponed; "moved": someone else changed the run first. */
export type TransitionOutcome = "change" | "noop" | "moved";

/**
 * Records what a loop observed or did, as one compare-and-set in one short transaction: the run must
 * still be in `from`, else nothing is written and "moved" is returned (an API abort, a replica that
 * got there first). Exit record, worker env and worker removal commit together with the status.
 */
export async function recordTransition(database: Database, transition: Transition): Promise<TransitionOutcome> {
  try {
    return await database.db.transaction().execute(async (trx) => {
      const outcome = await setRunStatus(trx, transition.runId, transition.to, {
        expect: [transition.from],
        ...(transition.debounceMs !== undefined ? { debounceMs: transition.debounceMs } : {}),
      });
      if (transition.exit) await setRunExit(trx, transition.runId, transition.exit);
      if (transition.env && Object.keys(transition.env).length > 0) {
        await sql`UPDATE worker SET env = ${JSON.stringify(transition.env)}::jsonb WHERE run_id = ${transition.runId}::uuid`.execute(trx);
      }
      if (transition.deleteWorker) await sql`DELETE FROM worker WHERE run_id = ${transition.runId}::uuid`.execute(trx);
      if (outcome === "change") {
        await sql`UPDATE worker SET pending_reason = NULL WHERE run_id = ${transition.runId}::uuid`.execute(trx);
      }
      return outcome;
    });
  } catch (error) {
    if (error instanceof IllegalTransitionError || error instanceof NotFoundError) return "moved";
    throw error;
  }
}
