import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { TagInput } from "./formats.js";

/**
 * Request bodies (spec/api.md §1.1 "Request-only shapes"). The reference decodes them with Go's
 * JSON decoder: unknown fields are ignored and `null` means absent, so these allow both. Values
 * whose format the server judges itself (image, labels, annotations, quantities) are plain strings
 * here, so a malformed one gets the reference's own error text, not a generic schema error.
 */

const orNull = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

export const MountpointSpec = Type.Object({ path: Type.String(), tags: orNull(Type.Array(TagInput)) });
export type MountpointSpec = Static<typeof MountpointSpec>;

export const OnNodeSpec = Type.Object({
  may: orNull(Type.Array(Type.String())),
  prefer: orNull(Type.Array(Type.String())),
  must: orNull(Type.Array(Type.String())),
});
export type OnNodeSpec = Static<typeof OnNodeSpec>;

/** Resource quantities: strings or bare numbers. */
export const ResourcesSpec = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'e.g. {"cpu": "0.5", "memory": "1Gi"}' });
export type ResourcesSpec = Static<typeof ResourcesSpec>;

/** POST /api/plans. A missing `inputs` is left to plan validation ("unreachable plan: no inputs"). */
export const PlanSpec = Type.Object(
  {
    image: Type.String({ description: "repository:tag (required)" }),
    entrypoint: orNull(Type.Array(Type.String())),
    args: orNull(Type.Array(Type.String())),
    inputs: orNull(Type.Array(MountpointSpec)),
    outputs: orNull(Type.Array(MountpointSpec)),
    log: orNull(Type.Object({ tags: orNull(Type.Array(TagInput)) })),
    on_node: orNull(OnNodeSpec),
    resources: orNull(ResourcesSpec),
    annotations: orNull(Type.Array(Type.String(), { description: '"key=value"' })),
    service_account: orNull(Type.String()),
    active: orNull(Type.Boolean({ description: "absent or null: true" })),
  },
  { description: "a plan definition (unknown fields are ignored)" },
);
export type PlanSpec = Static<typeof PlanSpec>;

/** PUT /api/data/{knitId}: removals first, then additions. */
export const TagChange = Type.Object(
  {
    add: orNull(Type.Array(TagInput)),
    remove: orNull(Type.Array(TagInput)),
    remove_key: orNull(Type.Array(Type.String())),
  },
  { description: "tag change: removals first, then additions" },
);
export type TagChange = Static<typeof TagChange>;

/**
 * PUT /api/plans/{planId}/resources: `set` first, then `unset` (a type in both ends up unset). In
 * the reference an empty body (no Content-Type needed) is accepted as "no change".
 */
export const ResourceLimitChange = Type.Object(
  {
    set: orNull(ResourcesSpec),
    unset: orNull(Type.Array(Type.String())),
  },
  { description: "set first, then unset; an empty body changes nothing" },
);
export type ResourceLimitChange = Static<typeof ResourceLimitChange>;

/** PUT /api/plans/{planId}/annotations: `remove_key`, then `remove`, then `add`. */
export const AnnotationChange = Type.Object({
  add: orNull(Type.Array(Type.String(), { description: '"key=value"' })),
  remove: orNull(Type.Array(Type.String(), { description: '"key=value"' })),
  remove_key: orNull(Type.Array(Type.String())),
});
export type AnnotationChange = Static<typeof AnnotationChange>;

/** PUT /api/plans/{planId}/serviceaccount. An empty body (echo's binder: `{}`) changes nothing. */
export const SetServiceAccount = Type.Object({
  service_account: Type.Optional(Type.String({ maxLength: 63, description: "at most 63 characters; absent: no change" })),
});
export type SetServiceAccount = Static<typeof SetServiceAccount>;
