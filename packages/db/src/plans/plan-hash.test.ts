import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { validatePlanSpec } from "@knitfab/domain";
import { sampleSpec as spec, tags } from "@knitfab/domain/plan-spec.test-support";
import { planHash } from "./plan-hash.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("planHash", () => {
  it("is the SHA-256 of the concatenation described in model.md §4.3", () => {
    const s = spec({
      entrypoint: ["sh", "-c"],
      args: ["echo hi"],
      onNode: [
        { mode: "must", key: "zone", value: "a" },
        { mode: "may", key: "gpu", value: "yes" },
      ],
      inputs: [
        { path: "/in/b", tags: tags("knit#timestamp:2024-03-06T18:25:16.580+09:00", "b:1") },
        { path: "/in/a", tags: tags("z:1", "a:1") },
      ],
    });
    const expected = sha256(
      "localhost/train1.0gpu=yes:mayzone=a:must/in/aa:1z:1/in/bb:1knit#timestamp:2024-03-06T09:25:16.58+00:00" +
        "/out/modeltype:model/logtype:log[entrypoint]sh-c[args]echo hi",
    );
    expect(planHash(s)).toBe(expected);
    expect(planHash(validatePlanSpec(s))).toBe(expected);
  });

  it("omits the log, entrypoint and args markers when absent", () => {
    expect(planHash(spec({ log: null, outputs: [] }))).toBe(sha256("localhost/train1.0/in/datatype:dataset"));
  });

  it("ignores the mutable attributes", () => {
    const changed = spec({ active: false, resources: { cpu: "2" }, annotations: [{ key: "a", value: "b" }], serviceAccount: "sa" });
    expect(planHash(changed)).toBe(planHash(spec()));
  });
});
