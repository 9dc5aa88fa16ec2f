import { describe, expect, it } from "vitest";
import { engineOptionsFromEnv } from "../options.js";
import { unhonouredPlanSettings } from "./on-node.js";

// Placement itself (on_node `must` against the machine's labels) is the runtime's: see
// packages/drivers/src/runtime/placement.test.ts and the runtime contract.
describe("on_node and service accounts with the docker runtime", () => {
  it("says when a plan is applied what the docker runtime does not honour", () => {
    expect(unhonouredPlanSettings({ serviceAccount: null, onNode: [{ mode: "must", key: "gpu", value: "a" }, { mode: "may", key: "b", value: "c" }] })).toEqual([]);
    const notes = unhonouredPlanSettings({ serviceAccount: "trainer", onNode: [{ mode: "prefer", key: "zone", value: "x" }] });
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('service_account "trainer"');
    expect(notes[1]).toContain("on_node prefer zone=x");
  });
  it("reads engine tunables from the environment and refuses malformed ones", () => {
    expect(engineOptionsFromEnv({ KNITFAB_MAX_WORKERS: "3" })).toMatchObject({ maxWorkers: 3 });
    expect(() => engineOptionsFromEnv({ KNITFAB_LEASE_MS: "soon" })).toThrow(/KNITFAB_LEASE_MS/);
  });
});
