// A sample PlanSpec for unit tests of plan rules (domain) and of what is stored of a plan (db). Not shipped.
import type { PlanSpec } from "./plan-spec.js";
import { parseTag } from "./tags.js";

export const tags = (...texts: string[]) => texts.map(parseTag);

/** One input, one output and a log, with the fields in `over` replaced. */
export function sampleSpec(over: Partial<PlanSpec> = {}): PlanSpec {
  return {
    image: { repository: "localhost/train", tag: "1.0" },
    entrypoint: [],
    args: [],
    inputs: [{ path: "/in/data", tags: tags("type:dataset") }],
    outputs: [{ path: "/out/model", tags: tags("type:model") }],
    log: { tags: tags("type:log") },
    onNode: [],
    resources: { cpu: "1", memory: "1Gi" },
    annotations: [],
    serviceAccount: null,
    active: true,
    ...over,
  };
}
