import { describe, expect, it } from "vitest";
import { UsageError, ValueError } from "./errors.js";
import { parseAnnotation, parseDepth, parseGoDuration, parseLooseTime, parseResourceSetting, parseTag, parseTristate, requireUserTags } from "./values.js";

describe("parseTag", () => {
  it("splits at the first colon and trims both sides", () => {
    expect(parseTag(" project : a:b ")).toEqual({ key: "project", value: "a:b" });
  });
  it("rejects a value without a colon", () => {
    expect(() => parseTag("novalue")).toThrow(ValueError);
  });
  it("checks knit#timestamp and knit#transient values", () => {
    expect(parseTag("knit#timestamp:2024-01-02T03:04:05+09:00").value).toBe("2024-01-02T03:04:05+09:00");
    expect(() => parseTag("knit#timestamp:yesterday")).toThrow(ValueError);
    expect(parseTag("knit#transient:failed").value).toBe("failed");
    expect(() => parseTag("knit#transient:maybe")).toThrow(ValueError);
  });
  it("lets other system keys parse, for find, but push/tag refuse them as a usage error", () => {
    const tag = parseTag("knit#id:abc");
    expect(() => requireUserTags([tag], "--tag")).toThrow(UsageError);
    expect(() => requireUserTags([parseTag("a:b")], "--tag")).not.toThrow();
  });
});

describe("parseLooseTime", () => {
  it("fills missing parts with zero and reads the zone", () => {
    expect(parseLooseTime("2024-05-01T12Z").toISOString()).toBe("2024-05-01T12:00:00.000Z");
    expect(parseLooseTime("2024-05-01 12:30:15.25+09:00").toISOString()).toBe("2024-05-01T03:30:15.250Z");
    expect(parseLooseTime("2024-05-01T00:00-01:30").toISOString()).toBe("2024-05-01T01:30:00.000Z");
  });
  it("uses local time without a zone", () => {
    expect(parseLooseTime("2024-05-01").getTime()).toBe(new Date(2024, 4, 1).getTime());
  });
  it("rejects other shapes", () => {
    expect(() => parseLooseTime("05/01/2024")).toThrow(ValueError);
    expect(() => parseLooseTime("2024-13-01")).toThrow(ValueError);
  });
});

describe("parseGoDuration", () => {
  it("reads Go durations", () => {
    expect(parseGoDuration("300ms")).toBe(300);
    expect(parseGoDuration("1.5h")).toBe(5_400_000);
    expect(parseGoDuration("2h45m")).toBe(9_900_000);
    expect(parseGoDuration("0")).toBe(0);
  });
  it("rejects numbers without units and unknown units", () => {
    expect(() => parseGoDuration("10")).toThrow(ValueError);
    expect(() => parseGoDuration("3d")).toThrow(ValueError);
    expect(() => parseGoDuration("")).toThrow(ValueError);
  });
});

describe("other values", () => {
  it("depth is a number or all", () => {
    expect(parseDepth("2")).toBe(2);
    expect(parseDepth("all")).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseDepth("two")).toThrow(ValueError);
  });
  it("resource settings need a valid quantity", () => {
    expect(parseResourceSetting("memory=2Gi")).toEqual(["memory", "2Gi"]);
    expect(parseResourceSetting("cpu=500m")).toEqual(["cpu", "500m"]);
    expect(() => parseResourceSetting("cpu=lots")).toThrow(ValueError);
    expect(() => parseResourceSetting("cpu")).toThrow(ValueError);
  });
  it("annotations are trimmed KEY=VALUE", () => {
    expect(parseAnnotation(" a = b=c ", "--add")).toBe("a=b=c");
    expect(() => parseAnnotation("ab", "--add")).toThrow(UsageError);
  });
  it("tri-state flags", () => {
    expect(parseTristate("TRUE", "--x")).toBe("yes");
    expect(parseTristate("false", "--x")).toBe("no");
    expect(parseTristate("both", "--x")).toBe("both");
    expect(() => parseTristate("maybe", "--x")).toThrow(UsageError);
  });
});
