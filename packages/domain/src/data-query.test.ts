import { describe, expect, it } from "vitest";
import { InputError } from "./errors.js";
import { interpretDataTagQuery, interpretPlanTagQuery } from "./data-query.js";
import { parseTag } from "./tags.js";

const tags = (...texts: string[]) => texts.map(parseTag);

describe("interpretDataTagQuery", () => {
  it("keeps user tags, de-duplicated", () => {
    expect(interpretDataTagQuery(tags("b:2", "a:1", "a:1"))).toEqual({
      kind: "query",
      userTags: [
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ],
    });
  });

  it("reads knit#id, knit#timestamp and knit#transient", () => {
    expect(interpretDataTagQuery(tags("knit#id:abc", "knit#timestamp:2024-04-01T21:00:00+09:00", "knit#transient:failed"))).toEqual({
      kind: "query",
      userTags: [],
      knitId: "abc",
      timestamp: new Date("2024-04-01T12:00:00Z"),
      transient: "failed",
    });
    expect(interpretDataTagQuery(tags("knit#transient:processing"))).toMatchObject({ transient: "processing" });
  });

  it("treats the same instant twice as one timestamp", () => {
    expect(interpretDataTagQuery(tags("knit#timestamp:2024-04-01T21:00:00+09:00", "knit#timestamp:2024-04-01T12:00:00Z"))).toMatchObject({
      kind: "query",
      timestamp: new Date("2024-04-01T12:00:00Z"),
    });
  });

  it.each([
    [["knit#id:a", "knit#id:b"]],
    [["knit#timestamp:2024-04-01T12:00:00Z", "knit#timestamp:2024-04-01T12:00:01Z"]],
    [["knit#transient:processing", "knit#transient:failed"]],
    [["knit#transient:yes"]],
    [["knit#unknown:x"]],
    [["a:1", "knit#other:x"]],
  ])("%j can match nothing", (query) => {
    expect(interpretDataTagQuery(tags(...query))).toEqual({ kind: "empty" });
  });

  it("rejects an unparseable timestamp with a 400", () => {
    expect(() => interpretDataTagQuery(tags("knit#timestamp:yesterday"))).toThrow(InputError);
  });
});

describe("interpretPlanTagQuery", () => {
  it("accepts pins on in_tag", () => {
    expect(interpretPlanTagQuery(tags("a:1", "knit#id:x", "knit#timestamp:2024-04-01T12:00:00Z"), "in")).toEqual({
      kind: "query",
      userTags: [{ key: "a", value: "1" }],
      knitId: "x",
      timestamp: new Date("2024-04-01T12:00:00Z"),
    });
  });

  it.each([
    [["knit#transient:processing"]],
    [["knit#other:x"]],
    [["knit#id:a", "knit#id:b"]],
    [["knit#timestamp:2024-04-01T12:00:00Z", "knit#timestamp:2024-04-01T12:00:01Z"]],
    [["knit#timestamp:soon"]],
  ])("in_tag %j can match nothing", (query) => {
    expect(interpretPlanTagQuery(tags(...query), "in")).toEqual({ kind: "empty" });
  });

  it("accepts only user tags on out_tag", () => {
    expect(interpretPlanTagQuery(tags("a:1"), "out")).toEqual({ kind: "query", userTags: [{ key: "a", value: "1" }] });
    expect(interpretPlanTagQuery(tags("a:1", "knit#id:x"), "out")).toEqual({ kind: "empty" });
  });
});
