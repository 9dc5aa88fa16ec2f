import { Type, type Static } from "@sinclair/typebox";

/**
 * Query strings and path parameters (spec/api.md §2). Values stay strings: the server parses them
 * and answers a malformed one with the reference's error text. Every JSON endpoint also takes
 * `pretty` (any value: indented JSON).
 */

const pretty = Type.Optional(Type.String({ description: "present: indent the JSON" }));
const repeatable = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));

/** GET /api/data. */
export const DataFindQuery = Type.Object({
  tag: repeatable("KEY:VALUE, repeatable; all must match"),
  since: Type.Optional(Type.String({ description: "RFC3339 date-time: lower bound (inclusive) of the data's timestamp" })),
  duration: Type.Optional(Type.String({ description: 'Go duration (e.g. "1h30m"): upper bound = since + duration (exclusive); needs since' })),
  knitId: Type.Optional(
    Type.String({ description: "comma-separated knit ids: only these Data (an extension of this project; the console fetches a graph's Data details in batches with it)" }),
  ),
  pretty,
});
export type DataFindQuery = Static<typeof DataFindQuery>;

/** GET /api/plans. */
export const PlanFindQuery = Type.Object({
  active: Type.Optional(Type.String({ description: "true | false" })),
  image: Type.Optional(Type.String({ description: "repository[:tag]" })),
  in_tag: repeatable("KEY:VALUE, repeatable; one input must carry all"),
  out_tag: repeatable("KEY:VALUE, repeatable; one output (or the log) must carry all"),
  pretty,
});
export type PlanFindQuery = Static<typeof PlanFindQuery>;

/** GET /api/runs: lists are comma-separated. */
export const RunFindQuery = Type.Object({
  plan: Type.Optional(Type.String({ description: "comma-separated plan ids" })),
  knitIdInput: Type.Optional(Type.String({ description: "comma-separated knit ids used as inputs" })),
  knitIdOutput: Type.Optional(Type.String({ description: "comma-separated knit ids produced" })),
  status: Type.Optional(Type.String({ description: "comma-separated statuses (any but invalidated)" })),
  since: Type.Optional(Type.String({ description: "RFC3339: updatedAt lower bound (inclusive)" })),
  duration: Type.Optional(Type.String({ description: "Go duration: updatedAt upper bound = since + duration; needs since" })),
  pretty,
});
export type RunFindQuery = Static<typeof RunFindQuery>;

/** GET /api/runs/{runId}/log. */
export const RunLogQuery = Type.Object({ follow: Type.Optional(Type.String({ description: "present (any value): stream the live log" })) });
export type RunLogQuery = Static<typeof RunLogQuery>;

/** Any JSON endpoint without other query parameters. */
export const PrettyQuery = Type.Object({ pretty });
export type PrettyQuery = Static<typeof PrettyQuery>;

export const KnitIdParams = Type.Object({ knitId: Type.String({ description: "knitId (a UUID)" }) });
export type KnitIdParams = Static<typeof KnitIdParams>;
export const PlanIdParams = Type.Object({ planId: Type.String({ description: "planId (a UUID)" }) });
export type PlanIdParams = Static<typeof PlanIdParams>;
export const RunIdParams = Type.Object({ runId: Type.String({ description: "runId (a UUID)" }) });
export type RunIdParams = Static<typeof RunIdParams>;
