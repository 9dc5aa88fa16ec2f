import { describe, expect, it } from "vitest";
import { formatRoute, href, parseRoute, type Route } from "./routes.js";

describe("hash routes", () => {
  it("round-trips every kind of view", () => {
    const routes: Route[] = [
      { tab: "data", view: "list" },
      { tab: "plans", view: "list" },
      { tab: "runs", view: "list" },
      { tab: "data", view: "detail", id: "k-1" },
      { tab: "plans", view: "detail", id: "p-1" },
      { tab: "runs", view: "detail", id: "r-1" },
      { tab: "data", view: "lineage", id: "k-1" },
      { tab: "runs", view: "lineage", id: "r-1" },
      { tab: "plans", view: "graph", id: "p-1" },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it("sends unknown or empty hashes to the data list", () => {
    expect(parseRoute("")).toEqual({ tab: "data", view: "list" });
    expect(parseRoute("#/")).toEqual({ tab: "data", view: "list" });
    expect(parseRoute("#/nothing/here")).toEqual({ tab: "data", view: "list" });
  });

  it("treats a graph suffix that does not fit the tab as the detail view", () => {
    expect(parseRoute("#/plans/p1/lineage")).toEqual({ tab: "plans", view: "detail", id: "p1" });
    expect(parseRoute("#/data/k1/graph")).toEqual({ tab: "data", view: "detail", id: "k1" });
  });

  it("builds the documented URLs", () => {
    expect(href.list("data")).toBe("#/data");
    expect(href.data("abc")).toBe("#/data/abc");
    expect(href.planGraph("p")).toBe("#/plans/p/graph");
    expect(href.runLineage("r")).toBe("#/runs/r/lineage");
  });
});
