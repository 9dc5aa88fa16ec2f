import { describe, expect, it } from "vitest";
import { engineOptionsFromEnv, parseNodeLabels } from "../options.js";
import { unmetNodeRequirements } from "./on-node.js";

describe("on_node on one machine", () => {
  const must = (key: string, value: string) => ({ mode: "must" as const, key, value });
  it("requires every must key, any of its values", () => {
    expect(unmetNodeRequirements([must("gpu", "a100"), must("gpu", "h100"), must("zone", "x")], { gpu: "h100", zone: "x" })).toEqual([]);
    expect(unmetNodeRequirements([must("gpu", "a100"), must("gpu", "h100")], { zone: "x" })).toEqual(["gpu=a100|h100"]);
    expect(unmetNodeRequirements([must("gpu", "a100")], { gpu: "t4" })).toEqual(["gpu=a100"]);
  });
  it("ignores may and prefer", () => {
    expect(unmetNodeRequirements([{ mode: "may", key: "gpu", value: "a" }, { mode: "prefer", key: "b", value: "c" }], {})).toEqual([]);
  });
  it("parses machine labels from configuration and refuses malformed ones", () => {
    expect(parseNodeLabels("gpu=a100, zone=x")).toEqual({ gpu: "a100", zone: "x" });
    expect(() => parseNodeLabels("gpu")).toThrow(/KEY=VALUE/);
    expect(engineOptionsFromEnv({ KNITFAB_NODE_LABELS: "a=b", KNITFAB_MAX_WORKERS: "3" })).toMatchObject({ nodeLabels: { a: "b" }, maxWorkers: 3 });
    expect(() => engineOptionsFromEnv({ KNITFAB_LEASE_MS: "soon" })).toThrow(/KNITFAB_LEASE_MS/);
  });
});
