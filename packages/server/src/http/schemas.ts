import { Type, type Static } from "@sinclair/typebox";

/**
 * Request schemas: Fastify validates requests with them and the OpenAPI document is generated
 * from them. Tag fields accept the reference's two forms (a "key:value" string or an object);
 * the domain parsers then give precise errors.
 */
export const TagInput = Type.Union([Type.String(), Type.Object({ key: Type.String(), value: Type.String() })], {
  description: 'a tag: "key:value", or {"key": ..., "value": ...}',
});

export const IdParams = (name: string) => Type.Object({ [name]: Type.String({ description: `${name} (a UUID)` }) });

export const DataFindQuery = Type.Object({
  tag: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: "KEY:VALUE, repeatable; all must match" })),
  since: Type.Optional(Type.String({ description: "RFC3339 date-time: lower bound (inclusive) of the data's timestamp" })),
  duration: Type.Optional(Type.String({ description: 'Go duration (e.g. "1h30m"): upper bound = since + duration (exclusive)' })),
  pretty: Type.Optional(Type.String()),
});

export const TagChangeBody = Type.Object(
  {
    add: Type.Optional(Type.Union([Type.Array(TagInput), Type.Null()])),
    remove: Type.Optional(Type.Union([Type.Array(TagInput), Type.Null()])),
    remove_key: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  },
  { description: "tag change: removals first, then additions" },
);
export type TagChangeBody = Static<typeof TagChangeBody>;

export const PlanFindQuery = Type.Object({
  active: Type.Optional(Type.String({ description: "true | false" })),
  image: Type.Optional(Type.String({ description: "repository[:tag]" })),
  in_tag: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  out_tag: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  pretty: Type.Optional(Type.String()),
});

const MountpointSpec = Type.Object({ path: Type.String(), tags: Type.Optional(Type.Union([Type.Array(TagInput), Type.Null()])) });

export const PlanSpecBody = Type.Object(
  {
    image: Type.String({ description: "repository:tag" }),
    entrypoint: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    args: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    inputs: Type.Optional(Type.Union([Type.Array(MountpointSpec), Type.Null()])),
    outputs: Type.Optional(Type.Union([Type.Array(MountpointSpec), Type.Null()])),
    log: Type.Optional(Type.Union([Type.Object({ tags: Type.Optional(Type.Union([Type.Array(TagInput), Type.Null()])) }), Type.Null()])),
    on_node: Type.Optional(
      Type.Union([
        Type.Object({
          may: Type.Optional(Type.Array(Type.String())),
          prefer: Type.Optional(Type.Array(Type.String())),
          must: Type.Optional(Type.Array(Type.String())),
        }),
        Type.Null(),
      ]),
    ),
    resources: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])), Type.Null()])),
    annotations: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    service_account: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    active: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { description: "plan definition (unknown fields are ignored)" },
);

export const ResourceChangeBody = Type.Object({
  set: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])), Type.Null()])),
  unset: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});
export type ResourceChangeBody = Static<typeof ResourceChangeBody>;

export const AnnotationChangeBody = Type.Object({
  add: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  remove: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  remove_key: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});
export type AnnotationChangeBody = Static<typeof AnnotationChangeBody>;

// optional: an empty body is no change (echo's binder)
export const ServiceAccountBody = Type.Object({ service_account: Type.Optional(Type.String({ maxLength: 63 })) });
export type ServiceAccountBody = Static<typeof ServiceAccountBody>;

export const RunFindQuery = Type.Object({
  plan: Type.Optional(Type.String({ description: "comma-separated plan ids" })),
  knitIdInput: Type.Optional(Type.String({ description: "comma-separated knit ids used as inputs" })),
  knitIdOutput: Type.Optional(Type.String({ description: "comma-separated knit ids produced" })),
  status: Type.Optional(Type.String({ description: "comma-separated statuses" })),
  since: Type.Optional(Type.String({ description: "RFC3339: updatedAt lower bound (inclusive)" })),
  duration: Type.Optional(Type.String({ description: "Go duration: updatedAt upper bound = since + duration" })),
  pretty: Type.Optional(Type.String()),
});

export const LogQuery = Type.Object({ follow: Type.Optional(Type.String({ description: "present: stream the live log" })) });

export const ErrorBody = Type.Object({ message: Type.String() }, { additionalProperties: true });
