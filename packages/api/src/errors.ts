import { Type, type Static } from "@sinclair/typebox";
import { Id } from "./formats.js";
import { strictObject } from "./strict-object.js";

/**
 * Every error body (spec/api.md §0.2): one flattened string
 * `<reason>[\n<advice>][\n caused by:<cause>]`. Our one addition (README "Deviations"): the 409
 * for an equivalent plan names that plan in `planId`.
 */
export const ErrorBody = strictObject({
  message: Type.String({ description: "reason, then advice and cause on their own lines" }),
  planId: Type.Optional(Id),
});
export type ErrorBody = Static<typeof ErrorBody>;
