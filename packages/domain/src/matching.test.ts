import { describe, expect, it } from "vitest";
import { InputError } from "./errors.js";
import { inputMatchesData, splitInputTags, type MatchableData } from "./matching.js";
import { RUN_STATUSES } from "./run-status.js";

const T = new Date("2024-04-01T12:00:00.123Z");
const data = (over: Partial<MatchableData> = {}): MatchableData => ({
  knitId: "d1",
  userTags: [
    { key: "project", value: "x" },
    { key: "type", value: "csv" },
  ],
  timestamp: T,
  runStatus: "done",
  ...over,
});

describe("splitInputTags", () => {
  it("separates user tags from pins", () => {
    expect(
      splitInputTags([
        { key: "project", value: "x" },
        { key: "knit#id", value: "d1" },
        { key: "knit#timestamp", value: "2024-04-01T21:00:00.123+09:00" },
      ]),
    ).toEqual({ userTags: [{ key: "project", value: "x" }], knitIdPin: "d1", timestampPin: T });
  });

  it("rejects an unparseable timestamp pin", () => {
    expect(() => splitInputTags([{ key: "knit#timestamp", value: "yesterday" }])).toThrow(InputError);
  });
});

describe("inputMatchesData with user tags", () => {
  const input = splitInputTags([{ key: "project", value: "x" }]);

  it("matches done data carrying every user tag", () => {
    expect(inputMatchesData(input, data())).toBe(true);
  });

  it("needs every user tag", () => {
    const two = splitInputTags([
      { key: "project", value: "x" },
      { key: "type", value: "tsv" },
    ]);
    expect(inputMatchesData(two, data())).toBe(false);
  });

  it("needs the producing run to be done", () => {
    for (const status of RUN_STATUSES) {
      expect(inputMatchesData(input, data({ runStatus: status }))).toBe(status === "done");
    }
  });

  it("honours knit#id and knit#timestamp pins", () => {
    const pinned = splitInputTags([
      { key: "project", value: "x" },
      { key: "knit#id", value: "d1" },
      { key: "knit#timestamp", value: "2024-04-01T12:00:00.123Z" },
    ]);
    expect(inputMatchesData(pinned, data())).toBe(true);
    expect(inputMatchesData(pinned, data({ knitId: "d2" }))).toBe(false);
    expect(inputMatchesData(pinned, data({ timestamp: new Date(T.getTime() + 1) }))).toBe(false);
    expect(inputMatchesData(pinned, data({ timestamp: undefined }))).toBe(false);
  });
});

describe("inputMatchesData with pins only (reference quirk)", () => {
  it("matches by knit#id whatever the producing run's status", () => {
    const input = splitInputTags([{ key: "knit#id", value: "d1" }]);
    for (const status of RUN_STATUSES) {
      expect(inputMatchesData(input, data({ runStatus: status, userTags: [] }))).toBe(true);
    }
    expect(inputMatchesData(input, data({ knitId: "other" }))).toBe(false);
  });

  it("matches failed data by timestamp", () => {
    const input = splitInputTags([{ key: "knit#timestamp", value: "2024-04-01T12:00:00.123Z" }]);
    expect(inputMatchesData(input, data({ runStatus: "failed" }))).toBe(true);
    expect(inputMatchesData(input, data({ runStatus: "running", timestamp: undefined }))).toBe(false);
  });

  it("never matches an input without any tag", () => {
    expect(inputMatchesData({ userTags: [] }, data())).toBe(false);
  });
});
