import { describe, expect, it } from "vitest";
import { dataListUrl, emptyDataFilter, emptyPlanFilter, emptyRunFilter, planListUrl, runListUrl } from "./query.js";

describe("list query strings", () => {
  it("sends no query for empty filters", () => {
    expect(dataListUrl(emptyDataFilter())).toBe("/api/data/");
    expect(planListUrl(emptyPlanFilter())).toBe("/api/plans/");
    expect(runListUrl(emptyRunFilter())).toBe("/api/runs/");
  });

  it("repeats tag parameters and escapes the knit# prefix", () => {
    const url = dataListUrl({ tags: ["project:x", "knit#id:abc"], since: "", duration: "" });
    expect(url).toBe("/api/data/?tag=project%3Ax&tag=knit%23id%3Aabc");
  });

  it("sends duration only together with since", () => {
    expect(dataListUrl({ tags: [], since: "", duration: "1h" })).toBe("/api/data/");
    const url = new URL(dataListUrl({ tags: [], since: "2024-04-01T12:00:00+09:00", duration: "1h30m" }), "http://x");
    expect(url.searchParams.get("since")).toBe("2024-04-01T12:00:00+09:00");
    expect(url.searchParams.get("duration")).toBe("1h30m");
  });

  it("builds plan filters", () => {
    const url = new URL(planListUrl({ active: "false", image: " repo:v1 ", inTags: ["a:1", "b:2"], outTags: ["c:3"] }), "http://x");
    expect(url.searchParams.get("active")).toBe("false");
    expect(url.searchParams.get("image")).toBe("repo:v1");
    expect(url.searchParams.getAll("in_tag")).toEqual(["a:1", "b:2"]);
    expect(url.searchParams.getAll("out_tag")).toEqual(["c:3"]);
  });

  it("joins run filter values with commas", () => {
    const url = new URL(
      runListUrl({ ...emptyRunFilter(), planIds: ["p1", "p2"], inputKnitIds: ["k1"], outputKnitIds: ["k2", "k3"], statuses: ["done", "failed"] }),
      "http://x",
    );
    expect(url.searchParams.get("plan")).toBe("p1,p2");
    expect(url.searchParams.get("knitIdInput")).toBe("k1");
    expect(url.searchParams.get("knitIdOutput")).toBe("k2,k3");
    expect(url.searchParams.get("status")).toBe("done,failed");
  });
});
