import type { PlanSpec } from "@knitfab/domain";
import type { PlanRecord } from "../records.js";

/** The identity-relevant part of a stored plan, as a spec, to compare against a new one. */
export function planSpecOfRecord(record: PlanRecord): PlanSpec {
  return {
    image: record.image ?? { repository: "", tag: "" },
    entrypoint: record.entrypoint,
    args: record.args,
    inputs: record.inputs.map((input) => ({ path: input.path, tags: input.tags })),
    outputs: record.outputs.map((output) => ({ path: output.path, tags: output.tags })),
    log: record.log ? { tags: record.log.tags } : null,
    onNode: record.onNode,
    resources: record.resources,
    annotations: record.annotations,
    serviceAccount: record.serviceAccount,
    active: record.active,
  };
}
