import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InputError } from "./errors.js";
import {
  canonicalTagText,
  formatTag,
  isSystemKey,
  normalizeTags,
  parseTag,
  splitTag,
  systemTagValueProblem,
  tagEqual,
  tagFromJson,
  tagsEqual,
  type Tag,
} from "./tags.js";
import { compareBytes } from "./utf8.js";

describe("parseTag", () => {
  it("splits at the first colon and trims both sides", () => {
    expect(parseTag(" project : a:b:c ")).toEqual({ key: "project", value: "a:b:c" });
    expect(parseTag("k:")).toEqual({ key: "k", value: "" });
  });

  it("rejects text without a colon with the KEY:VALUE advice", () => {
    let error: unknown;
    try {
      parseTag("novalue");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).wireMessage).toBe("bad request\neach tag should be formatted as KEY:VALUE");
  });

  it("round-trips through formatTag for trimmed keys without colons", () => {
    const part = fc.string().map((s) => s.trim());
    fc.assert(
      fc.property(part.filter((k) => !k.includes(":")), part, (key, value) => {
        expect(parseTag(formatTag({ key, value }))).toEqual({ key, value });
      }),
    );
  });
});

describe("tagFromJson", () => {
  it("accepts the string form, trimmed", () => {
    expect(tagFromJson(" a : b ")).toEqual({ key: "a", value: "b" });
  });
  it("accepts the object form, untrimmed", () => {
    expect(tagFromJson({ key: " a ", value: " b " })).toEqual({ key: " a ", value: " b " });
  });
  it.each([42, null, ["a:b"], { key: "a" }, { key: 1, value: "b" }, "nocolon"])("rejects %j", (value) => {
    expect(() => tagFromJson(value)).toThrow(InputError);
  });
});

describe("isSystemKey", () => {
  it("is true only for the knit# prefix", () => {
    expect(isSystemKey("knit#id")).toBe(true);
    expect(isSystemKey("knit#anything")).toBe(true);
    expect(isSystemKey("knit")).toBe(false);
    expect(isSystemKey("Knit#id")).toBe(false);
  });
});

describe("normalizeTags", () => {
  it("removes duplicates and sorts by key then value", () => {
    const tags: Tag[] = [
      { key: "b", value: "2" },
      { key: "a", value: "z" },
      { key: "b", value: "1" },
      { key: "a", value: "z" },
    ];
    expect(normalizeTags(tags)).toEqual([
      { key: "a", value: "z" },
      { key: "b", value: "1" },
      { key: "b", value: "2" },
    ]);
  });

  it("treats knit#timestamp tags of the same instant as duplicates, keeping the first", () => {
    const tags: Tag[] = [
      { key: "knit#timestamp", value: "2024-03-06T18:25:16.586+09:00" },
      { key: "knit#timestamp", value: "2024-03-06T09:25:16.586Z" },
      { key: "knit#timestamp", value: "2024-03-06T09:25:16.5860001+00:00" },
    ];
    expect(normalizeTags(tags)).toEqual([{ key: "knit#timestamp", value: "2024-03-06T18:25:16.586+09:00" }]);
  });

  it("keeps timestamps that differ by a microsecond", () => {
    const tags: Tag[] = [
      { key: "knit#timestamp", value: "2024-03-06T09:25:16.586001Z" },
      { key: "knit#timestamp", value: "2024-03-06T09:25:16.586Z" },
    ];
    expect(normalizeTags(tags)).toHaveLength(2);
  });

  it("sorts in UTF-8 byte order, not UTF-16 order", () => {
    // U+FF5E (3 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 ...) in bytes, after it in UTF-16
    const tags: Tag[] = [
      { key: "\u{1F600}", value: "" },
      { key: "\uFF5E", value: "" },
    ];
    expect(normalizeTags(tags).map((t) => t.key)).toEqual(["\uFF5E", "\u{1F600}"]);
  });

  const tagArb = fc.record({ key: fc.string({ maxLength: 4 }), value: fc.string({ maxLength: 4 }) });

  it("is idempotent, sorted, and free of duplicates", () => {
    fc.assert(
      fc.property(fc.array(tagArb), (tags) => {
        const once = normalizeTags(tags);
        expect(normalizeTags(once)).toEqual(once);
        for (let i = 1; i < once.length; i++) {
          const prev = once[i - 1] as Tag;
          const cur = once[i] as Tag;
          expect(compareBytes(prev.key, cur.key) < 0 || (prev.key === cur.key && compareBytes(prev.value, cur.value) < 0)).toBe(true);
        }
        for (const tag of tags) expect(once.some((t) => t.key === tag.key && t.value === tag.value)).toBe(true);
      }),
    );
  });

  it("does not depend on input order", () => {
    fc.assert(
      fc.property(fc.array(tagArb).chain((tags) => fc.tuple(fc.constant(tags), fc.shuffledSubarray(tags, { minLength: tags.length }))), ([a, b]) => {
        expect(normalizeTags(a)).toEqual(normalizeTags(b));
        expect(tagsEqual(a, b)).toBe(true);
      }),
    );
  });
});

describe("tag equality", () => {
  it("compares timestamps as instants and others as strings", () => {
    expect(tagEqual({ key: "knit#timestamp", value: "2024-01-01T09:00:00+09:00" }, { key: "knit#timestamp", value: "2024-01-01T00:00:00Z" })).toBe(true);
    expect(tagEqual({ key: "a", value: "1" }, { key: "a", value: "01" })).toBe(false);
    expect(tagsEqual([{ key: "a", value: "1" }], [{ key: "a", value: "1" }, { key: "a", value: "1" }])).toBe(true);
    expect(tagsEqual([{ key: "a", value: "1" }], [{ key: "a", value: "2" }])).toBe(false);
  });

  it("renders timestamps in UTC for hashing", () => {
    expect(canonicalTagText({ key: "knit#timestamp", value: "2024-03-06T18:25:16.580+09:00" })).toBe(
      "knit#timestamp:2024-03-06T09:25:16.58+00:00",
    );
    expect(canonicalTagText({ key: "a", value: "b" })).toBe("a:b");
  });
});

describe("splitTag", () => {
  it("splits at the first colon and trims both sides; no colon is undefined", () => {
    expect(splitTag(" project : a:b ")).toEqual({ key: "project", value: "a:b" });
    expect(splitTag(":")).toEqual({ key: "", value: "" });
    expect(splitTag("novalue")).toBeUndefined();
  });
});

describe("systemTagValueProblem", () => {
  it("accepts RFC 3339 timestamps and the two transient values, and any other tag", () => {
    expect(systemTagValueProblem({ key: "knit#timestamp", value: "2024-01-02T03:04:05+09:00" })).toBeUndefined();
    expect(systemTagValueProblem({ key: "knit#transient", value: "failed" })).toBeUndefined();
    expect(systemTagValueProblem({ key: "knit#transient", value: "processing" })).toBeUndefined();
    expect(systemTagValueProblem({ key: "knit#id", value: "anything" })).toBeUndefined();
    expect(systemTagValueProblem({ key: "user", value: "yesterday" })).toBeUndefined();
  });

  it("names what is wrong with a timestamp or transient value that can match nothing", () => {
    expect(systemTagValueProblem({ key: "knit#timestamp", value: "yesterday" })).toMatch(/RFC3339/);
    expect(systemTagValueProblem({ key: "knit#timestamp", value: "2024-02-30T00:00:00Z" })).toMatch(/RFC3339/);
    expect(systemTagValueProblem({ key: "knit#transient", value: "maybe" })).toMatch(/'processing' or 'failed'/);
  });
});
