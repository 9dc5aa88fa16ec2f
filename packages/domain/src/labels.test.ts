import { describe, expect, it } from "vitest";
import { InputError } from "./errors.js";
import {
  LABEL_KEY_PATTERN,
  LABEL_VALUE_PATTERN,
  formatAnnotation,
  labelKeyProblem,
  labelValueProblem,
  parseAnnotation,
  parseOnNodeLabel,
} from "./labels.js";

describe("annotations", () => {
  it("split at the first = and trim both sides", () => {
    expect(parseAnnotation(" owner = team=a ")).toEqual({ key: "owner", value: "team=a" });
    expect(formatAnnotation({ key: "owner", value: "team=a" })).toBe("owner=team=a");
  });
  it("need an =", () => {
    expect(() => parseAnnotation("owner")).toThrow(InputError);
  });
});

describe("on_node labels", () => {
  it("split at the first = without trimming", () => {
    expect(parseOnNodeLabel(" gpu = yes=1")).toEqual({ key: " gpu ", value: " yes=1" });
  });
  it("need an =", () => {
    expect(() => parseOnNodeLabel("gpu")).toThrow(InputError);
  });
});

describe("label patterns", () => {
  it.each(["gpu", "a", "example.com/gpu-type", "a-b.c-d/e-f", "A9", "x".repeat(63)])("key %s is accepted", (key) => {
    expect(LABEL_KEY_PATTERN.test(key)).toBe(true);
    expect(labelKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ["", "key is empty"],
    ["-gpu", "bad pattern: -gpu"],
    ["gpu_type", "bad pattern: gpu_type"],
    ["gpu.type", "bad pattern: gpu.type"],
    ["a/b/c", "bad pattern: a/b/c"],
    ["x".repeat(64), `bad pattern: ${"x".repeat(64)}`],
    [" gpu", "bad pattern:  gpu"],
  ])("key %j is rejected", (key, problem) => {
    expect(labelKeyProblem(key)).toBe(problem);
  });

  it("limits the prefix to 253 characters", () => {
    const label = (n: number) => Array.from({ length: n }, () => "a").join(".");
    const ok = `${label(127)}/x`; // 253 characters of prefix
    const tooLong = `${label(127)}a/x`;
    expect(labelKeyProblem(ok)).toBeUndefined();
    expect(labelKeyProblem(tooLong)).toBe(`too long (> 253 chars) prefix: ${tooLong}`);
  });

  it.each(["yes", "a", "v1.2_3-x", "x".repeat(63)])("value %s is accepted", (value) => {
    expect(LABEL_VALUE_PATTERN.test(value)).toBe(true);
    expect(labelValueProblem(value)).toBeUndefined();
  });

  it.each([
    ["", "value is empty"],
    ["-x", "bad pattern: -x"],
    ["x.", "bad pattern: x."],
    ["a b", "bad pattern: a b"],
    ["x".repeat(64), `bad pattern: ${"x".repeat(64)}`],
  ])("value %j is rejected", (value, problem) => {
    expect(labelValueProblem(value)).toBe(problem);
  });
});
