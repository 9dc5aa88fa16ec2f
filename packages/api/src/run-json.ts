import { Type, type Static } from "@sinclair/typebox";
import { Id, MountPath, Timestamp } from "./formats.js";
import { PlanSummary, Tags } from "./plan-json.js";
import { RunStatusSchema } from "./run-status.js";
import { strictObject } from "./strict-object.js";

/** Runs as the API and the lifecycle hooks send them (spec/api.md §1.1, §7). */

export const Exit = strictObject({ code: Type.Integer({ minimum: 0, maximum: 255 }), message: Type.String() });
export type Exit = Static<typeof Exit>;

const runSummaryFields = {
  runId: Id,
  status: RunStatusSchema,
  updatedAt: Timestamp,
  exit: Type.Optional(Exit),
  plan: PlanSummary,
};

export const RunSummary = strictObject(runSummaryFields);
export type RunSummary = Static<typeof RunSummary>;

/** A data bound to a mountpoint of the run; the tags are the mountpoint's, not the data's. */
export const Assignment = strictObject({ path: MountPath, tags: Tags, knitId: Id });
export type Assignment = Static<typeof Assignment>;

export const RunLog = strictObject({ tags: Tags, knitId: Id });
export type RunLog = Static<typeof RunLog>;

export const RunDetail = strictObject({
  ...runSummaryFields,
  inputs: Type.Array(Assignment),
  outputs: Type.Array(Assignment),
  log: Type.Union([RunLog, Type.Null()], { description: "null (the key is kept) when the plan has no log" }),
});
export type RunDetail = Static<typeof RunDetail>;

export const RunDetailList = Type.Array(RunDetail, { description: "ordered by updatedAt, then runId" });
export type RunDetailList = Static<typeof RunDetailList>;
