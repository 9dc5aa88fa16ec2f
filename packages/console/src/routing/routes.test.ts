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

  it("reads a hash that does not decode as not found, under its tab, without throwing", () => {
    expect(parseRoute("#/data/%E0%A4%A")).toEqual({ tab: "data", view: "notFound", hash: "#/data/%E0%A4%A" });
    expect(parseRoute("#/runs/%ZZ/lineage")).toEqual({ tab: "runs", view: "notFound", hash: "#/runs/%ZZ/lineage" });
    expect(parseRoute("#/%")).toEqual({ tab: "data", view: "notFound", hash: "#/%" });
    expect(parseRoute("#/plans/p%20q")).toEqual({ tab: "plans", view: "detail", id: "p q" });
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

  it("reads the comparison of two Data, and a comparison without its second Data as the detail view", () => {
    const route: Route = { tab: "data", view: "compare", id: "k 1", other: "k2" };
    expect(formatRoute(route)).toBe("#/data/k%201/compare/k2");
    expect(parseRoute(formatRoute(route))).toEqual(route);
    expect(href.dataCompare("a", "b")).toBe("#/data/a/compare/b");
    expect(parseRoute("#/data/k1/compare")).toEqual({ tab: "data", view: "detail", id: "k1" });
    expect(parseRoute("#/runs/r1/compare/r2")).toEqual({ tab: "runs", view: "detail", id: "r1" });
  });
});
