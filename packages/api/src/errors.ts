import { Type, type Static } from "@sinclair/typebox";
import { Id } from "./formats.js";
import { strictObject } from "./strict-object.js";

/**
 * Every error body (spec/api.md §0.2): one flattened string
 * `<reason>[\n<advice>][\n caused by:<cause>]`. Our additions (README "Deviations"): the 409
 * for an equivalent plan names that plan in `planId`; the 503 of a frozen system says since when in `frozen`.
 */
export const ErrorBody = strictObject({
  message: Type.String({ description: "reason, then advice and cause on their own lines" }),
  planId: Type.Optional(Id),
  /** Our extension: on a 503 while the system is frozen (`knitfab admin freeze`, or a backup), since when and by whom. */
  frozen: Type.Optional(
    strictObject({
      since: Type.String({ description: "RFC 3339 time the freeze began" }),
      by: Type.Union([Type.Literal("admin"), Type.Literal("backup")]),
    }),
  ),
});
export type ErrorBody = Static<typeof ErrorBody>;
