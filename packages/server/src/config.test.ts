import { describe, expect, it } from "vitest";
import { ConfigError, resolveServeConfig } from "./config.js";

describe("serve configuration: node labels", () => {
  it("reads KEY=VALUE labels from flags and the environment", () => {
    const config = resolveServeConfig({ nodeLabel: ["gpu=a100", "zone=west"] }, { KNITFAB_NODE_LABELS: "disk=ssd" });
    expect(config.nodeLabels).toEqual({ disk: "ssd", gpu: "a100", zone: "west" });
  });

  it("refuses what a plan's on_node label could never match, naming the flag", () => {
    for (const entry of ["gpu", "=a100", "gpu=", "gpu=a 100", "gpu=-bad-", "bad key=x"]) {
      expect(() => resolveServeConfig({ nodeLabel: [entry] }, {}), entry).toThrow(ConfigError);
      expect(() => resolveServeConfig({ nodeLabel: [entry] }, {}), entry).toThrow(/--node-label .* write for example --node-label gpu=a100/);
    }
  });
});
