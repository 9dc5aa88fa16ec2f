import { Type } from "@sinclair/typebox";

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

export const RunStatusSchema = Type.Union(
  RUN_STATUSES.map((status) => Type.Literal(status)),
  { description: "the run's status" },
);

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === "string" && (RUN_STATUSES as readonly string[]).includes(value);
}

