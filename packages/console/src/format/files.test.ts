import { describe, expect, it } from "vitest";
import { formatBytes, hexDump, plural } from "./bytes.js";
import { decodeRange, looksLikeText, parseDelimited, previewKindOf } from "./file-kind.js";

describe("file sizes and bytes", () => {
  it("formats sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(64 * 1024)).toBe("64 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3 GiB");
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(1200, "byte")).toBe("1,200 bytes");
  });

  it("dumps bytes as offset, hex and printable characters", () => {
    const dump = hexDump(new TextEncoder().encode("Hello, world!\n\0\u0001AB"), 0x100);
    expect(dump.split("\n")).toEqual([
      "00000100  48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a 00 01  |Hello, world!...|",
      "00000110  41 42                                            |AB|",
    ]);
  });
});

describe("file previews", () => {
  it("chooses the preview by name", () => {
    expect(previewKindOf("a.CSV")).toBe("table");
    expect(previewKindOf("a.tsv")).toBe("table");
    expect(previewKindOf("a.json")).toBe("json");
    expect(previewKindOf("a.svg")).toBe("image");
    expect(previewKindOf("train.log")).toBe("text");
    expect(previewKindOf("log")).toBe("text");
    expect(previewKindOf("model.bin")).toBe("binary");
    expect(previewKindOf(".bashrc")).toBe("binary");
  });

  it("tells text from binary, allowing a character cut at the end", () => {
    const cut = new TextEncoder().encode("héllo ☃").subarray(0, -1);
    expect(looksLikeText(cut)).toBe(true);
    expect(looksLikeText(new Uint8Array([0x41, 0, 0x42]))).toBe(false);
    expect(looksLikeText(new Uint8Array([0xff, 0xfe, 0x41]))).toBe(false);
  });

  it("drops the half line a range from the middle starts with", () => {
    const bytes = new TextEncoder().encode("ne 1\nline 2\nline 3\n");
    expect(decodeRange(bytes, false)).toBe("line 2\nline 3\n");
    expect(decodeRange(bytes, true)).toBe("ne 1\nline 2\nline 3\n");
  });

  it("parses CSV with quotes and drops the partial last row of a cut text", () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\n"two\nlines",3\nparti';
    expect(parseDelimited(text, ",", true, 10)).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
      ["two\nlines", "3"],
    ]);
    expect(parseDelimited(text, ",", false, 10).at(-1)).toEqual(["parti"]);
    expect(parseDelimited("a\tb\n1\t2\n3\t4\n", "\t", false, 2)).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });
});
