import { Type } from "@sinclair/typebox";
import { RUN_STATUSES } from "./run-statuses.js";

export * from "./run-statuses.js";

export const RunStatusSchema = Type.Union(
  RUN_STATUSES.map((status) => Type.Literal(status)),
  { description: "the run's status" },
);
