import { buffer } from "node:stream/consumers";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataVolume } from "../volume.js";
import type { DataStore } from "./data-store.js";
import { DataMissingError, DataPathMissingError, NotAFileError, RangeNotSatisfiableError, UnsafeDataPathError } from "./errors.js";
import { createLocalDataStore } from "./local-data-store.js";

let work: string;
let store: DataStore;
const model = randomBytes(70_000);
/** The local store's volumes are host folders; this test looks into them (nothing outside the drivers may). */
const folderOf = (volume: DataVolume): string => {
  if (volume.kind !== "host-folder") throw new Error(`a local store handed out ${volume.kind}`);
  return volume.path;
};

/** A sealed Data `k-1`: files, a folder two deep, an empty file, links inside and outside. */
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-browse-"));
  store = createLocalDataStore(join(work, "store"));
  const folder = folderOf(await store.prepare("k-1", "importer"));
  await mkdir(join(folder, "nested/deeper"), { recursive: true });
  await writeFile(join(folder, "nested/deeper/model.bin"), model);
  await writeFile(join(folder, "readme.txt"), "0123456789abcdefghij");
  await writeFile(join(folder, "empty"), "");
  await symlink("nested/deeper/model.bin", join(folder, "latest"));
  await store.seal("k-1");
  await writeFile(join(work, "secret.txt"), "not yours");
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

// Node's own stream consumer reads a stream whole (test data is small)
const collect = (stream: Readable): Promise<Buffer> => buffer(stream);

describe("data store: browsing a sealed Data", () => {
  it("lists a folder's entries, sorted, with sizes, links as links, and totals", async () => {
    const listing = await store.listFiles("k-1", "");
    expect(listing).toEqual({
      path: "",
      type: "dir",
      entries: [
        { name: "empty", path: "empty", type: "file", size: 0 },
        { name: "latest", path: "latest", type: "link", size: 0, target: "nested/deeper/model.bin" },
        { name: "nested", path: "nested", type: "dir", size: 0 },
        { name: "readme.txt", path: "readme.txt", type: "file", size: 20 },
      ],
      totals: { files: 2, dirs: 1, links: 1, bytes: 20 },
      truncated: false,
    });
  });

  it("lists every descendant when recursive, and one file by its path", async () => {
    const listing = await store.listFiles("k-1", "./nested//", { recursive: true });
    expect(listing.path).toBe("nested");
    expect(listing.entries.map((entry) => `${entry.type} ${entry.path} ${entry.size}`)).toEqual(["dir nested/deeper 0", "file nested/deeper/model.bin 70000"]);
    expect(listing.totals).toEqual({ files: 1, dirs: 1, links: 0, bytes: 70_000 });
    const one = await store.listFiles("k-1", "nested/deeper/model.bin");
    expect(one.type).toBe("file");
    expect(one.entries).toEqual([{ name: "model.bin", path: "nested/deeper/model.bin", type: "file", size: 70_000 }]);
  });

  it("reads a whole file, ranges of it, and a link that stays inside the Data", async () => {
    const whole = await store.openFile("k-1", "nested/deeper/model.bin");
    expect({ size: whole.size, start: whole.start, end: whole.end }).toEqual({ size: 70_000, start: 0, end: 69_999 });
    expect((await collect(whole.stream)).equals(model)).toBe(true);

    const middle = await store.openFile("k-1", "readme.txt", { start: 3, end: 5 });
    expect((await collect(middle.stream)).toString()).toBe("345");
    const open = await store.openFile("k-1", "readme.txt", { start: 15 });
    expect([open.start, open.end, (await collect(open.stream)).toString()]).toEqual([15, 19, "fghij"]);
    const suffix = await store.openFile("k-1", "readme.txt", { suffix: 4 });
    expect((await collect(suffix.stream)).toString()).toBe("ghij");
    const beyond = await store.openFile("k-1", "readme.txt", { start: 18, end: 1000 });
    expect((await collect(beyond.stream)).toString()).toBe("ij");
    const longSuffix = await store.openFile("k-1", "readme.txt", { suffix: 1000 });
    expect((await collect(longSuffix.stream)).toString()).toBe("0123456789abcdefghij");

    const empty = await store.openFile("k-1", "empty");
    expect(empty.size).toBe(0);
    expect((await collect(empty.stream)).length).toBe(0);

    const linked = await store.openFile("k-1", "latest");
    expect((await collect(linked.stream)).equals(model)).toBe(true);
  });

  it("refuses ranges past the end with the file's size", async () => {
    for (const range of [{ start: 20 }, { start: 25, end: 30 }, { suffix: 0 }]) {
      const error = await store.openFile("k-1", "readme.txt", range).catch((e: unknown) => e);
      expect(error, JSON.stringify(range)).toBeInstanceOf(RangeNotSatisfiableError);
      expect((error as RangeNotSatisfiableError).size).toBe(20);
    }
    await expect(store.openFile("k-1", "empty", { start: 0 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
  });

  it("refuses '..', absolute paths and NUL before touching the disk", async () => {
    for (const path of ["..", "../secret.txt", "nested/../readme.txt", "nested/../../secret.txt", "/etc/passwd", "readme.txt\0", "a".repeat(5000)]) {
      await expect(store.listFiles("k-1", path), path).rejects.toBeInstanceOf(UnsafeDataPathError);
      await expect(store.openFile("k-1", path), path).rejects.toBeInstanceOf(UnsafeDataPathError);
    }
  });

  it("never follows a link out of the Data, to a file or through a folder, and names no host path", async () => {
    // A sealed Data has no such link (sealing defuses them); this is the second line of defence.
    const folder = folderOf(store.volumeOf("k-1"));
    await symlink(join(work, "secret.txt"), join(folder, "outside"));
    await symlink("../../..", join(folder, "up"));
    for (const path of ["outside", "up/secret.txt", "up"]) {
      const error = await store.openFile("k-1", path).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(DataPathMissingError);
      expect((error as Error).message).not.toContain(work);
    }
    await expect(store.listFiles("k-1", "up")).rejects.toBeInstanceOf(DataPathMissingError);
    // Listed as what they are, not followed.
    const listing = await store.listFiles("k-1", "", { recursive: true });
    expect(listing.entries.filter((entry) => entry.type === "link").map((entry) => entry.path)).toEqual(["latest", "outside", "up"]);
    expect(JSON.stringify(listing)).not.toContain("not yours");
  });

  it("answers not found for missing paths, unknown or unsealed Data, and refuses to read a folder", async () => {
    await expect(store.listFiles("k-1", "nope")).rejects.toBeInstanceOf(DataPathMissingError);
    await expect(store.openFile("k-1", "readme.txt/more")).rejects.toBeInstanceOf(DataPathMissingError);
    await expect(store.openFile("k-1", "nested")).rejects.toBeInstanceOf(NotAFileError);
    await expect(store.openFile("k-1", "")).rejects.toBeInstanceOf(NotAFileError);
    await expect(store.listFiles("k-2", "")).rejects.toBeInstanceOf(DataMissingError);
    const writing = folderOf(await store.prepare("k-3"));
    await writeFile(join(writing, "partial.txt"), "half");
    await expect(store.listFiles("k-3", "")).rejects.toBeInstanceOf(DataMissingError);
    await expect(store.openFile("k-3", "partial.txt")).rejects.toBeInstanceOf(DataMissingError);
  });
});
