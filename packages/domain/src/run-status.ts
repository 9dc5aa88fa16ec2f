/** The run state machine (model.md §8). */

// The list itself is the wire contract's (one list for the server, the CLI and the console); the
// rules over it are the domain's.
import { RUN_STATUSES, TERMINAL_RUN_STATUSES, isRunStatus, isTerminalRunStatus, type RunStatus } from "@knitfab/api/run-statuses";

export { RUN_STATUSES, TERMINAL_RUN_STATUSES as TERMINAL_STATUSES, isRunStatus, isTerminalRunStatus as isTerminalStatus, type RunStatus };

/** Outputs of runs in these states carry `knit#transient:processing`: every state a run has not ended in. */
export const PROCESSING_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((status) => !isTerminalRunStatus(status));
/** Outputs of runs in these states carry `knit#transient:failed`. */
export const FAILED_STATUSES: readonly RunStatus[] = ["failed", "invalidated"];

/** Allowed targets of a real change, per current status. */
const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  deactivated: ["waiting", "aborting"],
  waiting: ["deactivated", "ready", "aborting"],
  ready: ["starting", "running", "completing", "aborting"],
  starting: ["running", "completing", "aborting"],
  running: ["completing", "aborting"],
  completing: ["done"],
  aborting: ["failed"],
  done: [],
  failed: [],
  invalidated: [],
};

/**
 * What a request to move `from` → `to` means: a real change, a no-op (same non-terminal status,
 * which only postpones the run's next lifecycle visit), or illegal (terminal states accept nothing,
 * not even their own status).
 */
export function statusChange(from: RunStatus, to: RunStatus): "change" | "noop" | "illegal" {
  if (isTerminalRunStatus(from)) return "illegal";
  if (from === to) return "noop";
  return NEXT[from].includes(to) ? "change" : "illegal";
}

/** A change that finishes the run: its outputs get a `knit#timestamp`. */
export function isFinishingChange(from: RunStatus, to: RunStatus): boolean {
  return (from === "completing" && to === "done") || (from === "aborting" && to === "failed");
}

export function illegalTransitionMessage(from: RunStatus, to: RunStatus): string {
  return `cannot change run state: ${from} -> ${to}`;
}

/** The `knit#transient` value that outputs of a run in this status carry, if any. */
export function transientOf(status: RunStatus): "processing" | "failed" | undefined {
  if (PROCESSING_STATUSES.includes(status)) return "processing";
  if (FAILED_STATUSES.includes(status)) return "failed";
  return undefined;
}
