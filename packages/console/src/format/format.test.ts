import { describe, expect, it } from "vitest";
import { displayOrder, filterTagError, normaliseTag, splitTag, timestampOf, userTagError } from "./tags.js";
import { formatDuration, formatLocal, localInputToIso } from "./time.js";

describe("tags", () => {
  it("splits at the first colon only", () => {
    expect(splitTag("url:http://x:80")).toEqual({ key: "url", value: "http://x:80" });
    expect(normaliseTag(" a : b ")).toBe("a:b");
  });

  it("refuses tags without a colon, with an empty key, or with a reserved key", () => {
    expect(userTagError("nocolon")).toMatch(/key:value/);
    expect(userTagError(":v")).toMatch(/empty key/);
    expect(userTagError("knit#id:x")).toMatch(/reserved/);
    expect(userTagError("k:v")).toBeNull();
    expect(filterTagError("knit#id:x")).toBeNull();
    expect(filterTagError("x")).toMatch(/key:value/);
  });

  it("checks what the server checks: lengths, NUL, and the values system tags can have", () => {
    expect(userTagError(`k:${"v".repeat(2049)}`)).toMatch(/too long: 2049 bytes/);
    expect(userTagError("k:a\u0000b")).toMatch(/NUL/);
    expect(filterTagError("knit#timestamp:yesterday")).toMatch(/RFC3339/);
    expect(filterTagError("knit#transient:maybe")).toMatch(/'processing' or 'failed'/);
    expect(filterTagError("knit#timestamp:2024-01-01T00:00:00+09:00")).toBeNull();
  });

  it("puts user tags before system tags and finds the timestamp", () => {
    const tags = ["knit#id:1", "knit#timestamp:2024-01-01T00:00:00+00:00", "a:1"];
    expect(displayOrder(tags)).toEqual(["a:1", "knit#id:1", "knit#timestamp:2024-01-01T00:00:00+00:00"]);
    expect(timestampOf(tags)).toBe("2024-01-01T00:00:00+00:00");
    expect(timestampOf(["a:1"])).toBeUndefined();
  });
});

describe("time", () => {
  it("turns a local date-time input into an RFC3339 value denoting the same instant", () => {
    const iso = localInputToIso("2024-04-01T12:34:56");
    expect(iso).toMatch(/^2024-04-01T12:34:56[+-]\d{2}:\d{2}$/);
    expect(new Date(iso as string).getTime()).toBe(new Date(2024, 3, 1, 12, 34, 56).getTime());
    expect(localInputToIso("2024-04-01T12:34")).toMatch(/^2024-04-01T12:34:00/);
    expect(localInputToIso("2024-02-31T00:00")).toBeNull();
    expect(localInputToIso("yesterday")).toBeNull();
  });

  it("formats Go durations", () => {
    expect(formatDuration({ hours: 1, minutes: 30, seconds: 0 })).toBe("1h30m");
    expect(formatDuration({ hours: 0, minutes: 0, seconds: 45 })).toBe("45s");
    expect(formatDuration({ hours: 0, minutes: 0, seconds: 0 })).toBe("");
    expect(formatDuration({ hours: -1, minutes: Number.NaN, seconds: 2.7 })).toBe("2s");
  });

  it("shows local time and leaves unparseable values alone", () => {
    expect(formatLocal("not a date")).toBe("not a date");
    expect(formatLocal(new Date(2024, 0, 2, 3, 4, 5).toISOString())).toBe("2024-01-02 03:04:05");
  });
});
