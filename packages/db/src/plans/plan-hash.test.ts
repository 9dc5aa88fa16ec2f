import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { planIdentityPieces, validatePlanSpec } from "@knitfab/domain";
import { sampleSpec as spec } from "@knitfab/domain/plan-spec.test-support";
import { planHash } from "./plan-hash.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("planHash", () => {
  it("is the SHA-256 of the domain's identity pieces, concatenated (model.md §4.3)", () => {
    const s = spec({ entrypoint: ["sh", "-c"], args: ["echo hi"], onNode: [{ mode: "must", key: "zone", value: "a" }] });
    expect(planHash(s)).toBe(sha256(planIdentityPieces(s).join("")));
    expect(planHash(validatePlanSpec(s))).toBe(planHash(s));
    expect(planHash(s)).not.toBe(planHash(spec()));
  });

  it("is the reference's hash for a plan without log, entrypoint and args", () => {
    expect(planHash(spec({ log: null, outputs: [] }))).toBe(sha256("localhost/train1.0/in/datatype:dataset"));
  });

  it("ignores the mutable attributes", () => {
    const changed = spec({ active: false, resources: { cpu: "2" }, annotations: [{ key: "a", value: "b" }], serviceAccount: "sa" });
    expect(planHash(changed)).toBe(planHash(spec()));
  });
});
