import { describe, expect, it } from "vitest";
import { goJson, jsonDocument } from "./json.js";

describe("goJson", () => {
  it("indents like Go's encoder and escapes HTML characters as Go does", () => {
    expect(jsonDocument({ a: ["x<y>&z"], b: [] })).toBe('{\n    "a": [\n        "x\\u003cy\\u003e\\u0026z"\n    ],\n    "b": []\n}\n');
    expect(JSON.parse(goJson({ s: "<&>\u2028" }, 2))).toEqual({ s: "<&>\u2028" });
  });
});
