import { describe, expect, it } from "vitest";
import { parseGoDuration, parseGoDurationNanos } from "./duration.js";

describe("parseGoDuration", () => {
  it.each([
    ["0", 0],
    ["-0", 0],
    ["300ms", 300],
    ["-1.5h", -5_400_000],
    ["+1.5h", 5_400_000],
    ["2h45m", 9_900_000],
    ["1h2m3.5s", 3_723_500],
    ["1s", 1000],
    [".5s", 500],
    ["1.s", 1000],
    ["1000us", 1],
    ["1000\u00b5s", 1],
    ["1000\u03bcs", 1],
    ["1000000ns", 1],
    ["1m1m", 120_000],
  ])("%s ⇒ %d ms", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it("keeps sub-millisecond precision", () => {
    expect(parseGoDuration("1ns")).toBe(0.000001);
    expect(parseGoDurationNanos("1.5us")).toBe(1500n);
  });

  it.each(["", "1", "10", "-", ".s", "1d", "1 s", "s", "1h 2m", "1.2.3s", "1S", "9999999999h", "ms1"])("rejects %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
