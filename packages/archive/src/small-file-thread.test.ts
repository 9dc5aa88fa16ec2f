import { lstat, mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UnsafeArchiveError } from "./errors.js";
import { extractTarGz } from "./extract.js";
import { rawTarGz, type RawEntry } from "./raw-archive.js";

// Past the first 64 small files, extraction hands files to a worker thread: these archives are
// long enough for most of their files to go that way.
const MANY = 700;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-small-files-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function files(count: number, folder = "f"): RawEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    path: `${folder}/${String(index).padStart(4, "0")}.txt`,
    mode: index % 2 === 0 ? 0o644 : 0o600,
    content: `file ${index} `.repeat(1 + (index % 50)),
  }));
}

describe("extracting many small files", () => {
  it("writes every file whole, with its mode and mtime, in a worker thread past the first ones", async () => {
    const entries = [...files(MANY, "a"), { path: "empty.txt", content: "" }, ...files(MANY, "b")];
    const target = join(work, "out");
    const result = await extractTarGz(Readable.from([rawTarGz(entries)]), target, {}, { smallFileThread: true });
    expect(result.files).toBe(2 * MANY + 1);
    for (const entry of entries) {
      const path = join(target, entry.path);
      expect(await readFile(path, "utf8")).toBe(String(entry.content));
      const stats = await stat(path);
      expect(stats.mode & 0o777).toBe(entry.mode ?? 0o644);
      expect(stats.mtimeMs).toBe(1_700_000_000_000);
    }
    expect((await readdir(join(target, "b"))).length).toBe(MANY);
  });

  it("links a hard link to a file still queued for the thread", async () => {
    const entries: RawEntry[] = [...files(MANY), { path: "link", type: "Link", linkpath: `f/${String(MANY - 1).padStart(4, "0")}.txt` }];
    const target = join(work, "out");
    await extractTarGz(Readable.from([rawTarGz(entries)]), target, {}, { smallFileThread: true });
    const original = await lstat(join(target, "f", `${String(MANY - 1).padStart(4, "0")}.txt`));
    const link = await lstat(join(target, "link"));
    expect(link.ino).toBe(original.ino);
    expect(await readFile(join(target, "link"), "utf8")).toBe(String(entries[MANY - 1]?.content));
  });

  it("names the entry whose name is too long for the file system, when the thread wrote it", async () => {
    const long = `${"n".repeat(300)}.txt`;
    const entries: RawEntry[] = [...files(MANY), { path: `f/${long}`, content: "x" }, ...files(10, "g")];
    const failure = await extractTarGz(Readable.from([rawTarGz(entries)]), join(work, "out"), {}, { smallFileThread: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnsafeArchiveError);
    expect((failure as UnsafeArchiveError).entry).toBe(`f/${long}`);
    expect(String((failure as Error).message)).toContain("longer than the file system allows");
  });
});
