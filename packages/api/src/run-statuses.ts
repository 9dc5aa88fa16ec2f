/**
 * The one list of run statuses, in plain values: no TypeBox here, so the CLI, the console and the
 * domain import it (`@knitfab/api/run-statuses`) without loading a schema library.
 */

/** Every status a run can have on the wire (spec/model.md §8), in the order of its life. */
export const RUN_STATUSES = [
  "deactivated",
  "waiting",
  "ready",
  "starting",
  "running",
  "completing",
  "aborting",
  "done",
  "failed",
  "invalidated",
] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses the `status` filter of `GET /api/runs` accepts: all but `invalidated` (spec/api.md §2.12). */
export const FINDABLE_RUN_STATUSES = RUN_STATUSES.filter(
  (status): status is Exclude<RunStatus, "invalidated"> => status !== "invalidated",
);
export type FindableRunStatus = (typeof FINDABLE_RUN_STATUSES)[number];

/** The statuses a run ends in: it changes no more (`knit run wait` and the console stop there). */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["done", "failed", "invalidated"];

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === "string" && (RUN_STATUSES as readonly string[]).includes(value);
}

export function isFindableRunStatus(value: unknown): value is FindableRunStatus {
  return typeof value === "string" && (FINDABLE_RUN_STATUSES as readonly string[]).includes(value);
}

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}
