import { describe, expect, it } from "vitest";
import { dockerUnhonouredPlanSettings } from "./unhonoured-settings.js";

// Placement itself (on_node `must` against the machine's labels) is the runtime's: see
// placement.test.ts and the runtime contract.
describe("on_node and service accounts with the docker runtime", () => {
  it("says when a plan is applied what the docker runtime does not honour", () => {
    const honoured = dockerUnhonouredPlanSettings({
      serviceAccount: null,
      onNode: [
        { mode: "must", key: "gpu", value: "a" },
        { mode: "may", key: "b", value: "c" },
      ],
    });
    expect(honoured).toEqual([]);
    const notes = dockerUnhonouredPlanSettings({ serviceAccount: "trainer", onNode: [{ mode: "prefer", key: "zone", value: "x" }] });
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('service_account "trainer"');
    expect(notes[1]).toContain("on_node prefer zone=x");
  });
});
