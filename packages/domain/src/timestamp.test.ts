import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatTimestamp, parseTimestamp, parseTimestampMicros } from "./timestamp.js";

describe("formatTimestamp", () => {
  it.each([
    ["2024-03-06T09:25:16.586Z", "2024-03-06T09:25:16.586+00:00"],
    ["2024-03-06T09:25:16.580Z", "2024-03-06T09:25:16.58+00:00"],
    ["2024-03-06T09:25:16.500Z", "2024-03-06T09:25:16.5+00:00"],
    ["2024-03-06T09:25:16.000Z", "2024-03-06T09:25:16+00:00"],
    ["2024-03-06T09:25:16.001Z", "2024-03-06T09:25:16.001+00:00"],
  ])("%s ⇒ %s", (iso, expected) => {
    expect(formatTimestamp(new Date(iso))).toBe(expected);
  });

  it("round-trips through parseTimestamp", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }), (date) => {
        expect(parseTimestamp(formatTimestamp(date))?.getTime()).toBe(date.getTime());
      }),
    );
  });
});

describe("parseTimestamp", () => {
  it.each([
    ["2024-04-01T12:00:00+00:00", "2024-04-01T12:00:00.000Z"],
    ["2024-04-01T12:00:00Z", "2024-04-01T12:00:00.000Z"],
    ["2024-04-01T21:00:00+09:00", "2024-04-01T12:00:00.000Z"],
    ["2024-04-01T07:30:00-04:30", "2024-04-01T12:00:00.000Z"],
    ["2024-04-01T12:00:00.123456789Z", "2024-04-01T12:00:00.123Z"],
    ["2024-04-01T12:00:00.9999Z", "2024-04-01T12:00:00.999Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
  ])("%s ⇒ %s", (text, iso) => {
    expect(parseTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each([
    "2024-04-01",
    "2024-04-01T12:00:00",
    "2024-04-01 12:00:00Z",
    "2024-04-01T12:00Z",
    "2024-13-01T12:00:00Z",
    "2023-02-29T12:00:00Z",
    "2024-04-01T24:00:00Z",
    "2024-04-01T12:00:60Z",
    "2024-04-01T12:00:00+0900",
    "2024-04-01T12:00:00.Z",
    "2024-04-01T12:00:00z",
    "",
    "yesterday",
  ])("rejects %j", (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });

  it("keeps microseconds for instant comparison", () => {
    expect(parseTimestampMicros("1970-01-01T00:00:00.000001Z")).toBe(1n);
    expect(parseTimestampMicros("1970-01-01T01:00:00.0000019+01:00")).toBe(1n);
  });
});
