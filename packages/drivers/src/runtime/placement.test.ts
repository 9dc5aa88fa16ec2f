import { describe, expect, it } from "vitest";
import { unmetNodeRequirements, unplacedReason } from "./placement.js";

describe("on_node on one machine", () => {
  const label = (key: string, value: string) => ({ key, value });
  it("requires every must key, any of its values", () => {
    expect(unmetNodeRequirements([label("gpu", "a100"), label("gpu", "h100"), label("zone", "x")], { gpu: "h100", zone: "x" })).toEqual([]);
    expect(unmetNodeRequirements([label("gpu", "a100"), label("gpu", "h100")], { zone: "x" })).toEqual(["gpu=a100|h100"]);
    expect(unmetNodeRequirements([label("gpu", "a100")], { gpu: "t4" })).toEqual(["gpu=a100"]);
  });
  it("ignores may and prefer, and says what is missing and what the machine has", () => {
    expect(unplacedReason({ may: [label("gpu", "a")], prefer: [label("b", "c")], must: [] }, {})).toBeUndefined();
    const reason = unplacedReason({ may: [], prefer: [], must: [label("gpu", "a100")] }, { zone: "here" });
    expect(reason).toMatch(/^waiting: the plan's on_node "must" needs gpu=a100, which this machine does not have \(its labels: zone=here\)/);
    expect(unplacedReason({ may: [], prefer: [], must: [label("gpu", "a100")] }, {})).toContain("(its labels: none)");
  });
});
