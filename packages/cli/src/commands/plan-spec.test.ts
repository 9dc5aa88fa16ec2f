import { describe, expect, it } from "vitest";
import { CommandError } from "../cli/errors.js";
import { normaliseImage, parsePlanSpec } from "./plan-spec.js";

describe("parsePlanSpec", () => {
  it("reads tags in both forms, defaults the image tag and ignores unknown keys", () => {
    const spec = parsePlanSpec(`
image: repo/train
annoation: ignored
inputs:
  - path: /in/a
    tags: ["k:v", {key: x, value: "y:z"}]
outputs: []
log: {tags: ["type:log"]}
resources: {cpu: 1, memory: 1Gi}
active: false
`);
    expect(spec).toEqual({
      image: "repo/train:latest",
      inputs: [{ path: "/in/a", tags: ["k:v", "x:y:z"] }],
      outputs: [],
      log: { tags: ["type:log"] },
      resources: { cpu: "1", memory: "1Gi" },
      active: false,
    });
  });
  it("rejects bad documents with a reason", () => {
    expect(() => parsePlanSpec("image: [")).toThrow(CommandError);
    expect(() => parsePlanSpec("inputs: []")).toThrow(/'image' is required/);
    expect(() => parsePlanSpec("image: Repo/Upper:1")).toThrow(/not a valid image reference/);
    expect(() => parsePlanSpec("image: ab:1\ninputs: [{path: /in, tags: [notag]}]")).toThrow(/not KEY:VALUE/);
    // the server's rule: a repository has at least two characters
    expect(() => parsePlanSpec("image: a:1")).toThrow(/not a valid image reference.*2 to 255/);
  });
  it("keeps registries with ports", () => {
    expect(normaliseImage("localhost:5000/a/b:v1")).toBe("localhost:5000/a/b:v1");
    expect(normaliseImage("Registry.Example.com/ab")).toBe("Registry.Example.com/ab:latest");
  });
});
