import { Type, type Static } from "@sinclair/typebox";
import { Id, MountPath, TagString, UUID_PATTERN } from "./formats.js";
import { LogPoint, Mountpoint, PlanSummary, Tags } from "./plan-json.js";
import { RunSummary } from "./run-json.js";
import { Absent, strictObject } from "./strict-object.js";

/** Data as the API answers it (spec/api.md §1.1). */

/**
 * The data's user tags and its derived system tags; `knit#id` is always there. (Only `contains`:
 * `minContains`/`maxContains` are unknown to the JSON Schema draft Fastify's validator speaks.)
 */
export const DataTags = Type.Array(TagString, {
  contains: Type.String({ pattern: `^knit#id:${UUID_PATTERN.slice(1)}` }),
  description: "user tags and knit#id, knit#timestamp, knit#transient; normalised",
});

/** The run that wrote the data, through an output (`mountpoint`) or as its log (`log`). */
export const DataUpstream = Type.Union([
  strictObject({ mountpoint: Mountpoint, log: Absent(), run: RunSummary }),
  strictObject({ log: LogPoint, mountpoint: Absent(), run: RunSummary }),
]);
export type DataUpstream = Static<typeof DataUpstream>;

/** A run reading the data (invalidated runs are left out). */
export const DataDownstream = strictObject({ mountpoint: Mountpoint, run: RunSummary });
export type DataDownstream = Static<typeof DataDownstream>;

/** A plan input the data matches; path and tags are flattened beside the plan. */
export const Nomination = strictObject({ path: MountPath, tags: Tags, plan: PlanSummary });
export type Nomination = Static<typeof Nomination>;

export const DataDetail = strictObject({
  knitId: Id,
  tags: DataTags,
  upstream: DataUpstream,
  downstreams: Type.Array(DataDownstream),
  nomination: Type.Array(Nomination),
});
export type DataDetail = Static<typeof DataDetail>;

export const DataDetailList = Type.Array(DataDetail, { description: "ordered by knit#timestamp (none last), then knitId" });
export type DataDetailList = Static<typeof DataDetailList>;
