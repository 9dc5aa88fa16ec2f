import { describe, expect, it } from "vitest";
import { dataFile, formatChecksums, imageFile, parseChecksums, tableFile } from "./layout.js";

describe("backup layout", () => {
  it("names files as the README documents", () => {
    expect(tableFile(0, "plan")).toBe("database/01-plan.jsonl");
    expect(dataFile("0d9a8e6e-0000-4000-8000-000000000000")).toBe("data/0d9a8e6e-0000-4000-8000-000000000000.tar.gz");
    expect(imageFile(11)).toBe("images/012.tar");
  });

  it("writes SHA256SUMS as sha256sum does, sorted, and reads it back", () => {
    const files = new Map([
      ["manifest.json", { sha256: "b".repeat(64), bytes: 2 }],
      ["data/x.tar.gz", { sha256: "a".repeat(64), bytes: 1 }],
    ]);
    const text = formatChecksums(files);
    expect(text).toBe(`${"a".repeat(64)}  data/x.tar.gz\n${"b".repeat(64)}  manifest.json\n`);
    expect([...parseChecksums(text)]).toEqual([
      ["data/x.tar.gz", "a".repeat(64)],
      ["manifest.json", "b".repeat(64)],
    ]);
  });

  it("refuses a checksum line that is not <sha256>  <path>", () => {
    expect(() => parseChecksums(`${"a".repeat(63)}  data/x.tar.gz\n`)).toThrow(/line 1/);
  });
});
