import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InputError } from "./errors.js";
import {
  isInputDownstreamOf,
  mountpointsOverlap,
  planIdentityPieces,
  planSpecFromJson,
  plansEquivalent,
  validatePlanSpec,
  type PlanSpec,
} from "./plan-spec.js";
import { sampleSpec as spec, tags } from "./plan-spec.test-support.js";

function invalidMessage(s: PlanSpec): string {
  try {
    validatePlanSpec(s);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).wireMessage;
  }
  throw new Error("the spec was accepted");
}

/** The wire message of a validation failure: reason, the detail, and the detail again as cause. */
const wire = (detail: string) => `bad request\nplan spec is invalid: ${detail}\n caused by:plan spec is invalid: ${detail}`;

describe("planSpecFromJson", () => {
  it("reads the wire PlanSpec with snake_case fields", () => {
    const parsed = planSpecFromJson({
      image: "localhost:5000/team/train:2.1",
      entrypoint: ["python", "main.py"],
      args: ["--epochs", "3"],
      inputs: [{ path: "/in/data", tags: ["type:dataset", { key: "project", value: " x " }] }],
      outputs: [{ path: "/out/model", tags: [" type : model "] }],
      log: { tags: ["type:log"] },
      on_node: { may: ["gpu=yes"], must: ["zone=a"] },
      resources: { cpu: 0.5, memory: "1024Mi", "nvidia.com/gpu": "1" },
      annotations: [" owner = alice "],
      service_account: "trainer",
      active: false,
      unknown_field: { ignored: true },
    });
    expect(parsed).toEqual({
      image: { repository: "localhost:5000/team/train", tag: "2.1" },
      entrypoint: ["python", "main.py"],
      args: ["--epochs", "3"],
      inputs: [{ path: "/in/data", tags: [{ key: "type", value: "dataset" }, { key: "project", value: " x " }] }],
      outputs: [{ path: "/out/model", tags: [{ key: "type", value: "model" }] }],
      log: { tags: [{ key: "type", value: "log" }] },
      onNode: [
        { mode: "may", key: "gpu", value: "yes" },
        { mode: "must", key: "zone", value: "a" },
      ],
      resources: { cpu: "500m", memory: "1Gi", "nvidia.com/gpu": "1" },
      annotations: [{ key: "owner", value: "alice" }],
      serviceAccount: "trainer",
      active: false,
    } satisfies PlanSpec);
  });

  it("applies defaults", () => {
    const parsed = planSpecFromJson({ image: "busybox", inputs: [{ path: "/in", tags: ["a:b"] }], log: null, active: null });
    expect(parsed.image).toEqual({ repository: "busybox", tag: "latest" });
    expect(parsed.active).toBe(true);
    expect(parsed.resources).toEqual({ cpu: "1", memory: "1Gi" });
    expect(parsed.log).toBeNull();
    expect(parsed.outputs).toEqual([]);
    expect(parsed.onNode).toEqual([]);
    expect(parsed.serviceAccount).toBeNull();
    expect(planSpecFromJson({ image: "busybox:1", resources: { memory: "2Gi" } }).resources).toEqual({ cpu: "1", memory: "2Gi" });
  });

  it("leaves a missing image for validation to report", () => {
    const parsed = planSpecFromJson({ inputs: [{ path: "/in", tags: ["a:b"] }] });
    expect(invalidMessage(parsed)).toBe(wire("nameless or versionless image(:)"));
  });

  it.each([
    ["not an object", []],
    ["empty image", { image: "" }],
    ["uppercase image", { image: "Busybox:1" }],
    ["digest", { image: "busybox@sha256:abcd" }],
    ["tag without colon", { image: "busybox:1", inputs: [{ path: "/in", tags: ["novalue"] }] }],
    ["tag of a wrong type", { image: "busybox:1", inputs: [{ path: "/in", tags: [1] }] }],
    ["inputs not an array", { image: "busybox:1", inputs: { path: "/in" } }],
    ["path not a string", { image: "busybox:1", inputs: [{ path: 1, tags: [] }] }],
    ["annotation without =", { image: "busybox:1", annotations: ["owner"] }],
    ["on_node label without =", { image: "busybox:1", on_node: { may: ["gpu"] } }],
    ["bad quantity", { image: "busybox:1", resources: { cpu: "lots" } }],
    ["quantity of a wrong type", { image: "busybox:1", resources: { cpu: true } }],
    ["active not boolean", { image: "busybox:1", active: "yes" }],
    ["entrypoint not strings", { image: "busybox:1", entrypoint: [1] }],
    ["log not an object", { image: "busybox:1", log: ["a:b"] }],
  ])("rejects %s", (_what, body) => {
    let error: unknown;
    try {
      planSpecFromJson(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    // the reference: BadRequest("can not understand the requested json", err) ⇒ "bad request\n<advice>\n caused by:…"
    expect((error as InputError).reason).toBe("bad request");
    expect((error as InputError).advice).toBe("can not understand the requested json");
    expect((error as InputError).cause).toBeDefined();
  });
});

describe("validatePlanSpec", () => {
  it("returns the normalised spec", () => {
    const valid = validatePlanSpec(
      spec({
        inputs: [
          { path: "/in/b/", tags: tags("z:1", "a:1", "a:1") },
          { path: "/in/a", tags: tags("knit#id:x", "knit#id:x") },
        ],
        outputs: [
          { path: "/out/z", tags: [] },
          { path: "/out/a/", tags: tags("m:1") },
        ],
        onNode: [
          { mode: "prefer", key: "b", value: "1" },
          { mode: "must", key: "a", value: "1" },
          { mode: "may", key: "c", value: "1" },
        ],
        annotations: [
          { key: "b", value: "1" },
          { key: "a", value: "2" },
          { key: "b", value: "1" },
        ],
      }),
    );
    expect(valid.inputs).toEqual([
      { path: "/in/a", tags: tags("knit#id:x") },
      { path: "/in/b", tags: tags("a:1", "z:1") },
    ]);
    expect(valid.outputs).toEqual([
      { path: "/out/a", tags: tags("m:1") },
      { path: "/out/z", tags: [] },
    ]);
    expect(valid.onNode.map((o) => o.mode)).toEqual(["may", "must", "prefer"]);
    expect(valid.annotations).toEqual([
      { key: "a", value: "2" },
      { key: "b", value: "1" },
    ]);
  });

  it("accepts zero outputs, no log and untagged outputs or log", () => {
    expect(() => validatePlanSpec(spec({ outputs: [], log: null }))).not.toThrow();
    expect(() => validatePlanSpec(spec({ outputs: [{ path: "/out", tags: [] }], log: { tags: [] } }))).not.toThrow();
  });

  it.each<[string, Partial<PlanSpec>, string]>([
    ["empty on_node key", { onNode: [{ mode: "may", key: "", value: "x" }] }, "on_node: invalid key: key is empty"],
    ["bad on_node key", { onNode: [{ mode: "may", key: "a_b", value: "x" }] }, "on_node: invalid key: bad pattern: a_b"],
    ["empty on_node value", { onNode: [{ mode: "must", key: "gpu", value: "" }] }, "on_node: invalid value: value is empty"],
    ["bad on_node value", { onNode: [{ mode: "must", key: "gpu", value: "y es" }] }, "on_node: invalid value: bad pattern: y es"],
    ["versionless image", { image: { repository: "busybox", tag: "" } }, "nameless or versionless image(busybox:)"],
    ["no inputs", { inputs: [] }, "unreachable plan: no inputs"],
    ["empty input path", { inputs: [{ path: "", tags: tags("a:1") }] }, "bad mountpoint path (path = ) path is empty"],
    ["empty output path", { outputs: [{ path: "", tags: [] }] }, "bad mountpoint path (path = ) path is empty"],
    ["relative input", { inputs: [{ path: "in", tags: tags("a:1") }] }, "bad mountpoint path (path = in) not absolute or not clean"],
    ["unclean input", { inputs: [{ path: "/in/../etc", tags: tags("a:1") }] }, "bad mountpoint path (path = /in/../etc) not absolute or not clean"],
    ["double slash", { inputs: [{ path: "/in//a", tags: tags("a:1") }] }, "bad mountpoint path (path = /in//a) not absolute or not clean"],
    ["root input", { inputs: [{ path: "/", tags: tags("a:1") }] }, "bad mountpoint path (path = ) not absolute or not clean"],
    ["untagged input", { inputs: [{ path: "/in", tags: [] }] }, "bad tag (path = /in): no tags for input"],
    [
      "transient input",
      { inputs: [{ path: "/in", tags: tags("a:1", "knit#transient:processing") }] },
      `bad tag (path = /in): data with "knit#transient" are never used`,
    ],
    ["two ids", { inputs: [{ path: "/in", tags: tags("knit#id:a", "knit#id:b") }] }, `bad tag (path = /in): "knit#id:..." found twice (or more)`],
    [
      "two timestamps",
      { inputs: [{ path: "/in", tags: tags("knit#timestamp:2024-01-01T00:00:00Z", "knit#timestamp:2024-01-02T00:00:00Z") }] },
      `bad tag (path = /in): "knit#timestamp:..." found twice (or more)`,
    ],
    ["unknown system tag", { inputs: [{ path: "/in", tags: tags("knit#foo:bar") }] }, "bad tag (path = /in): unknown system tag: knit#foo:bar"],
    [
      "unparseable timestamp",
      { inputs: [{ path: "/in", tags: tags("knit#timestamp:today") }] },
      `bad tag (path = /in): "knit#timestamp:today" is not an RFC3339 date-time (e.g. 2024-04-01T12:00:00+00:00)`,
    ],
    [
      "overlapping inputs",
      { inputs: [{ path: "/in/a", tags: tags("a:1") }, { path: "/in/a/b", tags: tags("a:1") }] },
      "mountpoints are overlapped: /in/a, /in/a/b",
    ],
    [
      "prefix-overlapping inputs",
      { inputs: [{ path: "/in", tags: tags("a:1") }, { path: "/in2", tags: tags("a:1") }] },
      "mountpoints are overlapped: /in, /in2",
    ],
    ["input over output", { outputs: [{ path: "/in/data/x", tags: [] }] }, "mountpoints are overlapped: /in/data, /in/data/x"],
    [
      "duplicate outputs",
      { outputs: [{ path: "/out", tags: [] }, { path: "/out/", tags: [] }] },
      "mountpoints are overlapped: /out, /out",
    ],
    ["relative output", { outputs: [{ path: "out", tags: [] }] }, "bad mountpoint path (path = out) not absolute or not clean"],
    [
      "system tag on output",
      { outputs: [{ path: "/out", tags: tags("knit#id:x") }] },
      `bad tag (path = /out): output cannot have tag starting with "knit#" (reserved by system)`,
    ],
    ["system tag on log", { log: { tags: tags("knit#transient:failed") } }, `bad tag (path = log): log cannot have tag starting with "knit#" (reserved by system)`],
    // Beyond the reference: what no container engine could ever start (issue 8, item 6).
    ["colon in an input path", { inputs: [{ path: "/in:ro", tags: tags("a:1") }] }, `bad mountpoint path (path = /in:ro) contains ":" or ","; a container engine cannot mount such a path. Choose a path without them`],
    ["comma in an output path", { outputs: [{ path: "/out,x", tags: [] }] }, `bad mountpoint path (path = /out,x) contains ":" or ","; a container engine cannot mount such a path. Choose a path without them`],
    ["negative cpu", { resources: { cpu: "-1", memory: "1Gi" } }, `resources: cpu "-1" is negative; give a limit such as cpu "500m" or memory "1Gi"`],
    ["negative memory", { resources: { cpu: "1", memory: "-5Gi" } }, `resources: memory "-5Gi" is negative; give a limit such as cpu "500m" or memory "1Gi"`],
    [
      "overflowing memory",
      { resources: { cpu: "1", memory: "9223372036854775807" } },
      `resources: memory "9223372036854775807" is too large (it overflows the largest quantity, 2^63-1); give a limit such as cpu "500m" or memory "1Gi"`,
    ],
  ])("rejects %s", (_what, over, detail) => {
    expect(invalidMessage(spec(over))).toBe(wire(detail));
  });

  it("reports the first failure in the reference's order", () => {
    const everythingWrong = spec({
      onNode: [{ mode: "may", key: "", value: "" }],
      image: { repository: "", tag: "" },
      inputs: [],
    });
    expect(invalidMessage(everythingWrong)).toBe(wire("on_node: invalid key: key is empty"));
    expect(invalidMessage({ ...everythingWrong, onNode: [] })).toBe(wire("nameless or versionless image(:)"));
  });

  it("refuses what planSpecFromJson made of absurd quantities, and accepts zero", () => {
    const absurd = planSpecFromJson({ image: "busybox:1", inputs: [{ path: "/in", tags: ["a:1"] }], resources: { memory: "1e999" } });
    expect(absurd.resources.memory).toBe("9223372036854775807");
    expect(invalidMessage(absurd)).toContain("is too large");
    expect(() => validatePlanSpec(spec({ resources: { cpu: "0", memory: "0" } }))).not.toThrow();
  });

  it("does not check the log point against the mountpoints", () => {
    expect(() => validatePlanSpec(spec({ outputs: [{ path: "/log", tags: [] }], log: { tags: [] } }))).not.toThrow();
  });
});

describe("mountpointsOverlap", () => {
  it.each([
    ["/in", "/in", true],
    ["/in", "/in/a", true],
    ["/in/a", "/in", true],
    ["/in", "/in2", true],
    ["/", "/anything", true],
    ["/in", "/out", false],
    ["/a/b", "/a/c", false],
  ])("%s vs %s ⇒ %s", (a, b, expected) => {
    expect(mountpointsOverlap(a, b)).toBe(expected);
  });

  it("is symmetric", () => {
    const path = fc.array(fc.constantFrom("a", "b", "ab"), { minLength: 1, maxLength: 3 }).map((parts) => "/" + parts.join("/"));
    fc.assert(
      fc.property(path, path, (a, b) => {
        expect(mountpointsOverlap(a, b)).toBe(mountpointsOverlap(b, a));
      }),
    );
  });
});

describe("planIdentityPieces", () => {
  it("are the texts model.md §4.3 hashes, in its order", () => {
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
    const expected =
        "localhost/train" +
          "1.0" +
          "gpu=yes:may" +
          "zone=a:must" +
          "/in/a" +
          "a:1" +
          "z:1" +
          "/in/b" +
          "b:1" +
          "knit#timestamp:2024-03-06T09:25:16.58+00:00" +
          "/out/model" +
          "type:model" +
          "/log" +
          "type:log" +
          "[entrypoint]" +
          "sh" +
          "-c" +
          "[args]" +
          "echo hi";
    expect(planIdentityPieces(s).join("")).toBe(expected);
    expect(planIdentityPieces(validatePlanSpec(s)).join("")).toBe(expected);
  });

  it("omits the log, entrypoint and args markers when absent", () => {
    const s = spec({ log: null, outputs: [] });
    expect(planIdentityPieces(s)).toEqual(["localhost/train", "1.0", "/in/data", "type:dataset"]);
  });

  it("ignores the mutable attributes", () => {
    const base = spec();
    const changed = spec({
      active: false,
      resources: { cpu: "2" },
      annotations: [{ key: "a", value: "b" }],
      serviceAccount: "sa",
    });
    expect(planIdentityPieces(changed)).toEqual(planIdentityPieces(base));
  });
});

describe("plansEquivalent", () => {
  it("is true for the same plan written differently", () => {
    const a = spec({ inputs: [{ path: "/in/a", tags: tags("x:1", "y:2") }, { path: "/in/b", tags: tags("z:1") }] });
    const b = spec({
      inputs: [{ path: "/in/b", tags: tags("z:1") }, { path: "/in/a", tags: tags("y:2", "x:1", "x:1") }],
      active: false,
      resources: {},
    });
    expect(plansEquivalent(a, b)).toBe(true);
  });

  it.each<[string, Partial<PlanSpec>]>([
    ["image tag", { image: { repository: "localhost/train", tag: "2.0" } }],
    ["input tags", { inputs: [{ path: "/in/data", tags: tags("type:other") }] }],
    ["input path", { inputs: [{ path: "/in/other", tags: tags("type:dataset") }] }],
    ["output", { outputs: [] }],
    ["log", { log: null }],
    ["log tags", { log: { tags: [] } }],
    ["entrypoint", { entrypoint: ["sh"] }],
    ["args", { args: ["-x"] }],
    ["on_node", { onNode: [{ mode: "may", key: "gpu", value: "yes" }] }],
  ])("is false when the %s differs", (_what, over) => {
    expect(plansEquivalent(spec(), spec(over))).toBe(false);
  });
});

describe("isInputDownstreamOf", () => {
  const out = tags("type:model", "project:x");
  it("needs every user tag of the input on the output", () => {
    expect(isInputDownstreamOf({ tags: tags("type:model") }, out)).toBe(true);
    expect(isInputDownstreamOf({ tags: tags("type:model", "project:x") }, out)).toBe(true);
    expect(isInputDownstreamOf({ tags: tags("type:model", "project:y") }, out)).toBe(false);
  });
  it("excludes inputs pinned by knit#id or knit#timestamp and inputs without user tags", () => {
    expect(isInputDownstreamOf({ tags: tags("type:model", "knit#id:x") }, out)).toBe(false);
    expect(isInputDownstreamOf({ tags: tags("type:model", "knit#timestamp:2024-01-01T00:00:00Z") }, out)).toBe(false);
    expect(isInputDownstreamOf({ tags: [] }, out)).toBe(false);
  });
});
