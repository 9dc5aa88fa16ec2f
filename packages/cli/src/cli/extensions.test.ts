import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extensionCacheFile, findExtensions } from "./extensions.js";

let root: string;
let bin: string;
let cacheFile: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "knit-extensions-"));
  bin = join(root, "bin");
  mkdirSync(bin);
  cacheFile = join(root, "cache", "knit", "path-scan.json");
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function addExtension(name: string): void {
  writeFileSync(join(bin, name), "#!/bin/sh\n");
  chmodSync(join(bin, name), 0o755);
}

/** Sets the folder's modification time an hour back, as for a folder of programs installed long ago. */
function settle(dir: string): void {
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(dir, anHourAgo, anHourAgo);
}

const names = (path: string) => findExtensions(path, root, cacheFile).map((e) => e.name);

describe("the PATH scan's cache", () => {
  it("keeps the knit-* names of a settled folder, and does not list it again while it is unchanged", () => {
    addExtension("knit-hello");
    writeFileSync(join(bin, "other-tool"), "");
    settle(bin);
    expect(names(bin)).toEqual(["hello"]);
    const stored = JSON.parse(readFileSync(cacheFile, "utf8")) as { dirs: Record<string, { names: string[] }> };
    expect(stored.dirs[bin]?.names).toEqual(["knit-hello"]);
    // The stored listing is what is used while the folder is unchanged (the names found are still
    // checked at each start): a listing edited here shows that the folder was not read again.
    stored.dirs[bin]!.names = [];
    writeFileSync(cacheFile, JSON.stringify(stored));
    expect(names(bin)).toEqual([]);
  });

  it("lists a folder again once an extension is added or removed", () => {
    addExtension("knit-hello");
    settle(bin);
    expect(names(bin)).toEqual(["hello"]);
    addExtension("knit-world");
    expect(names(bin)).toEqual(["hello", "world"]);
    settle(bin);
    expect(names(bin)).toEqual(["hello", "world"]);
    rmSync(join(bin, "knit-hello"));
    expect(names(bin)).toEqual(["world"]);
  });

  it("checks the names it keeps at each start: an extension no longer executable is not one", () => {
    addExtension("knit-hello");
    settle(bin);
    expect(names(bin)).toEqual(["hello"]);
    chmodSync(join(bin, "knit-hello"), 0o644);
    // (as root, X_OK holds when any execute bit is set: none is left here)
    expect(names(bin)).toEqual([]);
  });

  it("does not keep the listing of a folder changed just now, whose time could not show the next change", () => {
    addExtension("knit-hello");
    expect(names(bin)).toEqual(["hello"]);
    let stored: { dirs: Record<string, unknown> } = { dirs: {} };
    try {
      stored = JSON.parse(readFileSync(cacheFile, "utf8")) as typeof stored;
    } catch {
      // no file written at all: nothing kept either
    }
    expect(stored.dirs[bin]).toBeUndefined();
  });

  it("works as without a cache when its folder cannot be made, or the file is not a cache", () => {
    addExtension("knit-hello");
    settle(bin);
    writeFileSync(join(root, "cache"), "a file where the cache folder would go");
    expect(names(bin)).toEqual(["hello"]);
    rmSync(join(root, "cache"));
    mkdirSync(join(root, "cache", "knit"), { recursive: true });
    for (const junk of ["not json", "null", '{"dirs": 3}', JSON.stringify({ dirs: { [bin]: { dev: 1, ino: 2, mtimeMs: 3, ctimeMs: 4, names: ["../../x"] } } })]) {
      writeFileSync(cacheFile, junk);
      expect(names(bin), junk).toEqual(["hello"]);
    }
  });

  it("is in XDG_CACHE_HOME when that is an absolute path, else in ~/.cache", () => {
    expect(extensionCacheFile({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" })).toBe("/x/cache/knit/path-scan.json");
    expect(extensionCacheFile({ XDG_CACHE_HOME: "relative", HOME: "/home/u" })).toBe("/home/u/.cache/knit/path-scan.json");
    expect(extensionCacheFile({ HOME: "/home/u" })).toBe("/home/u/.cache/knit/path-scan.json");
    expect(extensionCacheFile({})).toBeUndefined();
  });
});
