import { Type, type Static } from "@sinclair/typebox";
import { Id, Timestamp } from "./formats.js";
import { RunStatusSchema } from "./run-status.js";
import { strictObject } from "./strict-object.js";

/**
 * Our extension to the reference's API (not in spec/api.md): runs on a time axis. The reference's run
 * JSON has only `updatedAt`, which cannot tell how long a run waited from how long it ran; this
 * answers with when each run entered each status. Under `/api/x/` so it can never collide with a path
 * the reference uses or may use.
 */
export const RUN_TIMELINE_PATH = "/api/x/runs/timeline";

/** Ids per request, plans and runs together: keeps the URL under common limits (~8 kB). */
export const RUN_TIMELINE_MAX_IDS = 200;
/** Runs per answer at most; older runs are left out and `truncated` says so. */
export const RUN_TIMELINE_MAX_RUNS = 5000;

/** GET /api/x/runs/timeline: runs of these plans, and these runs (either matches). */
export const RunTimelineQuery = Type.Object({
  plan: Type.Optional(Type.String({ description: "plan ids, comma-separated", maxLength: 40 * RUN_TIMELINE_MAX_IDS })),
  run: Type.Optional(Type.String({ description: "run ids, comma-separated", maxLength: 40 * RUN_TIMELINE_MAX_IDS })),
  limit: Type.Optional(Type.String({ description: `at most this many runs, the newest first (default and maximum ${RUN_TIMELINE_MAX_RUNS})`, pattern: "^[0-9]{1,6}$" })),
  pretty: Type.Optional(Type.String({ description: "present: indent the JSON" })),
});
export type RunTimelineQuery = Static<typeof RunTimelineQuery>;

export const RunStatusChange = strictObject({
  status: RunStatusSchema,
  at: Timestamp,
});
export type RunStatusChange = Static<typeof RunStatusChange>;

export const RunTimelineEntry = strictObject({
  runId: Id,
  planId: Id,
  status: RunStatusSchema,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  changes: Type.Array(RunStatusChange, {
    description: "every status the run entered, oldest first; a run older than this record (schema 7) has only its last change",
  }),
});
export type RunTimelineEntry = Static<typeof RunTimelineEntry>;

export const RunTimeline = strictObject({
  runs: Type.Array(RunTimelineEntry, { description: "the most recently created first" }),
  truncated: Type.Boolean({ description: "more runs matched than were sent" }),
});
export type RunTimeline = Static<typeof RunTimeline>;
