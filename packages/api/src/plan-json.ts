import { Type, type Static } from "@sinclair/typebox";
import { AnnotationString, CanonicalQuantity, Id, ImageString, MountPath, OnNodeLabelString, PSEUDO_PLAN_NAMES, TagString } from "./formats.js";
import { Absent, strictObject } from "./strict-object.js";

/** Plans as the API answers them (spec/api.md §1.1). Lists the reference omits when empty have `minItems: 1`. */

export const Tags = Type.Array(TagString, { description: "normalised: de-duplicated, sorted by key then value" });

/** `{"path", "tags"}`; tags are always there (`[]` when none). */
export const Mountpoint = strictObject({ path: MountPath, tags: Tags });
export type Mountpoint = Static<typeof Mountpoint>;

/** The log point of a plan or a data's upstream: tags only. */
export const LogPoint = strictObject({ tags: Tags });
export type LogPoint = Static<typeof LogPoint>;

const nonEmptyStrings = (description: string) => Type.Optional(Type.Array(Type.String(), { minItems: 1, description }));

/** A plan with an image: no `name`. */
const imagePlanSummaryFields = {
  planId: Id,
  image: ImageString,
  entrypoint: nonEmptyStrings("omitted when empty"),
  args: nonEmptyStrings("omitted when empty"),
  name: Absent(),
  annotations: Type.Optional(Type.Array(AnnotationString, { minItems: 1, description: "omitted when empty; sorted by key, then value" })),
};

/** A pseudo plan (`knit#uploaded`, `knit#imported`): a name and nothing of an image plan. */
const pseudoPlanSummaryFields = {
  planId: Id,
  image: Absent(),
  entrypoint: Absent(),
  args: Absent(),
  name: Type.Union(PSEUDO_PLAN_NAMES.map((name) => Type.Literal(name))),
  annotations: Absent(),
};

export const PlanSummary = Type.Union([strictObject(imagePlanSummaryFields), strictObject(pseudoPlanSummaryFields)], {
  description: "a plan with an image, or a pseudo plan with a name",
});
export type PlanSummary = Static<typeof PlanSummary>;

/** A plan input fed by another plan's output (`mountpoint`) or log (`log`): exactly one of the two. */
export const Upstream = Type.Union([
  strictObject({ plan: PlanSummary, mountpoint: Mountpoint, log: Absent() }),
  strictObject({ plan: PlanSummary, log: LogPoint, mountpoint: Absent() }),
]);
export type Upstream = Static<typeof Upstream>;

export const Downstream = strictObject({ plan: PlanSummary, mountpoint: Mountpoint });
export type Downstream = Static<typeof Downstream>;

export const PlanInput = strictObject({ path: MountPath, tags: Tags, upstreams: Type.Array(Upstream) });
export type PlanInput = Static<typeof PlanInput>;

export const PlanOutput = strictObject({ path: MountPath, tags: Tags, downstreams: Type.Array(Downstream) });
export type PlanOutput = Static<typeof PlanOutput>;

export const PlanLog = strictObject({ tags: Tags, downstreams: Type.Array(Downstream) });
export type PlanLog = Static<typeof PlanLog>;

const labels = Type.Optional(Type.Array(OnNodeLabelString, { minItems: 1, description: "omitted when empty" }));
export const OnNode = strictObject({ may: labels, prefer: labels, must: labels }, { minProperties: 1 });
export type OnNode = Static<typeof OnNode>;

export const Resources = Type.Record(Type.String(), CanonicalQuantity, { minProperties: 1, description: 'e.g. {"cpu": "1", "memory": "1Gi"}' });
export type Resources = Static<typeof Resources>;

const planDetailFields = {
  inputs: Type.Array(PlanInput),
  outputs: Type.Array(PlanOutput),
  log: Type.Optional(PlanLog),
  active: Type.Boolean(),
  on_node: Type.Optional(OnNode),
  resources: Type.Optional(Resources),
  service_account: Type.Optional(Type.String({ minLength: 1 })),
};

/** PlanSummary's fields and the plan's mountpoints, links, activeness and scheduling. */
export const PlanDetail = Type.Union([
  strictObject({ ...imagePlanSummaryFields, ...planDetailFields }),
  strictObject({ ...pseudoPlanSummaryFields, ...planDetailFields }),
]);
export type PlanDetail = Static<typeof PlanDetail>;

export const PlanDetailList = Type.Array(PlanDetail, { description: "ordered by planId" });
export type PlanDetailList = Static<typeof PlanDetailList>;
