import { describe, expect, it } from "vitest";
import { HooksFileError, parseHooks } from "./hooks-file.js";

describe("hooks file", () => {
  it("reads the before and after URL lists, ignoring other keys", () => {
    const text = "hooks: {}\nlifecycle-hooks:\n  before: [http://a/b]\n  after:\n    - https://c/d\n";
    expect(parseHooks(text)).toEqual({ before: ["http://a/b"], after: ["https://c/d"] });
  });
  it("treats an empty file or empty lists as no hooks", () => {
    expect(parseHooks("")).toEqual({ before: [], after: [] });
    expect(parseHooks("lifecycle-hooks:\n  before: []\n")).toEqual({ before: [], after: [] });
  });
  it("refuses malformed files with what to fix", () => {
    expect(() => parseHooks("lifecycle-hooks: [1]")).toThrow(HooksFileError);
    expect(() => parseHooks("lifecycle-hooks:\n  before: http://a\n")).toThrow(/must be a list of URLs/);
    expect(() => parseHooks("lifecycle-hooks:\n  before: [ftp://a]\n")).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parseHooks("lifecycle-hooks:\n  after: [not a url]\n")).toThrow(/is not a URL/);
    expect(() => parseHooks("a: [")).toThrow(/not valid YAML/);
  });
});
