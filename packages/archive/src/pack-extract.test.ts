import { buffer } from "node:stream/consumers";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SymlinkLoopError } from "./errors.js";
import { extractTarGz } from "./extract.js";
import { md5Tap } from "./md5.js";
import { packDirectory } from "./pack.js";
import { readTar, type TarEntry } from "./tar-reader.js";

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-archive-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

// Node's own stream consumer reads a stream whole (test data is small)
const collect = (stream: Readable): Promise<Buffer> => buffer(stream);

/** The entries of a tar.gz as our reader sees them, bodies hashed. */
async function listArchive(tarGz: Buffer): Promise<(TarEntry & { sha256: string })[]> {
  const entries: (TarEntry & { sha256: string })[] = [];
  await pipeline(Readable.from([tarGz]), createGunzip(), async (tar: AsyncIterable<Buffer>) => {
    await readTar(tar, async (entry, body) => {
      const hash = createHash("sha256");
      for await (const piece of body) hash.update(piece);
      entries.push({ ...entry, sha256: hash.digest("hex") });
    });
  });
  return entries;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** A folder with nested folders, binary content, modes, links and an empty folder. */
async function makeSampleTree(root: string): Promise<void> {
  await mkdir(join(root, "a/b/c"), { recursive: true });
  await mkdir(join(root, "empty/inner"), { recursive: true });
  await writeFile(join(root, "top.txt"), "hello\n");
  await writeFile(join(root, "a/b/c/deep.bin"), randomBytes(70_000));
  await writeFile(join(root, "a/zero"), "");
  await writeFile(join(root, "a/run.sh"), "#!/bin/sh\necho hi\n");
  await chmod(join(root, "a/run.sh"), 0o750);
  await symlink("b/c/deep.bin", join(root, "a/link-to-deep"));
  await symlink("a/b", join(root, "link-to-folder"));
}

describe("packDirectory + extractTarGz", () => {
  it("round-trips nested folders, binary files, modes and symbolic links, and omits empty folders", async () => {
    const source = join(work, "src");
    await makeSampleTree(source);
    const tap = md5Tap();
    const bytes = await collect(packDirectory(source).pipe(tap));
    expect(tap.digest()).toBe(createHash("md5").update(bytes).digest("hex"));

    const entries = await listArchive(bytes);
    expect(entries.map((entry) => [entry.path, entry.type])).toEqual([
      ["a/b/c/deep.bin", "File"],
      ["a/link-to-deep", "SymbolicLink"],
      ["a/run.sh", "File"],
      ["a/zero", "File"],
      ["link-to-folder", "SymbolicLink"],
      ["top.txt", "File"],
    ]);

    const target = join(work, "out");
    const result = await extractTarGz(Readable.from([bytes]), target);
    expect(result).toEqual({
      files: 6,
      bytes: 70_000 + 0 + "#!/bin/sh\necho hi\n".length + "hello\n".length,
      md5: tap.digest(),
    });
    expect(await sha256File(join(target, "a/b/c/deep.bin"))).toBe(await sha256File(join(source, "a/b/c/deep.bin")));
    expect(await readFile(join(target, "top.txt"), "utf8")).toBe("hello\n");
    expect((await stat(join(target, "a/run.sh"))).mode & 0o777).toBe(0o750);
    expect(await readlink(join(target, "a/link-to-deep"))).toBe("b/c/deep.bin");
    expect(await readlink(join(target, "link-to-folder"))).toBe("a/b");
    expect(await readFile(join(target, "a/link-to-deep"))).toEqual(await readFile(join(source, "a/b/c/deep.bin")));
    expect((await readdir(target)).sort()).toEqual(["a", "link-to-folder", "top.txt"]);
  });

  it("writes names GNU tar reads as relative paths without './' and without folder entries", async () => {
    const source = join(work, "src");
    await makeSampleTree(source);
    const archive = join(work, "x.tar.gz");
    await pipeline(packDirectory(source), createWriteStream(archive));
    const listed = execFileSync("tar", ["-tzf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(listed).toEqual(["a/b/c/deep.bin", "a/link-to-deep", "a/run.sh", "a/zero", "link-to-folder", "top.txt"]);
    const unpacked = join(work, "gnu");
    await mkdir(unpacked);
    execFileSync("tar", ["-xzf", archive, "-C", unpacked]);
    expect(await sha256File(join(unpacked, "a/b/c/deep.bin"))).toBe(await sha256File(join(source, "a/b/c/deep.bin")));
    expect(await readlink(join(unpacked, "link-to-folder"))).toBe("a/b");
  });

  it("extracts an archive made by GNU tar ('./' names, folder entries)", async () => {
    const source = join(work, "src");
    await makeSampleTree(source);
    const archive = execFileSync("tar", ["-czf", "-", "-C", source, "."]);
    const target = join(work, "out");
    const result = await extractTarGz(Readable.from([archive]), target);
    expect(result.files).toBe(6);
    expect(result.md5).toBe(createHash("md5").update(archive).digest("hex"));
    expect(await sha256File(join(target, "a/b/c/deep.bin"))).toBe(await sha256File(join(source, "a/b/c/deep.bin")));
    // GNU tar lists folders, so the empty one comes back from its archives.
    expect((await lstat(join(target, "empty/inner"))).isDirectory()).toBe(true);
  });

  it("keeps long and non-ASCII names (pax headers)", async () => {
    const source = join(work, "src");
    const longFolder = "d".repeat(120);
    const longName = `${"n".repeat(150)}.txt`;
    await mkdir(join(source, longFolder), { recursive: true });
    await writeFile(join(source, longFolder, longName), "long");
    await writeFile(join(source, "données-日本.txt"), "unicode");
    await symlink(`${longFolder}/${longName}`, join(source, "l".repeat(110)));
    const bytes = await collect(packDirectory(source));
    const target = join(work, "out");
    await extractTarGz(Readable.from([bytes]), target);
    expect(await readFile(join(target, longFolder, longName), "utf8")).toBe("long");
    expect(await readFile(join(target, "données-日本.txt"), "utf8")).toBe("unicode");
    expect(await readlink(join(target, "l".repeat(110)))).toBe(`${longFolder}/${longName}`);
    const listed = execFileSync("tar", ["-tzf", "-"], { input: bytes, encoding: "utf8" }).trim().split("\n").sort();
    expect(listed).toEqual([`${longFolder}/${longName}`, "données-日本.txt", "l".repeat(110)].sort());
  });

  it("streams a 100 MB file through pack and extract intact", async () => {
    const source = join(work, "src");
    await mkdir(source);
    const big = join(source, "big.bin");
    // Random 1 MiB blocks, each different, so compression cannot shortcut the content.
    async function* blocks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 100; i++) yield randomBytes(1024 * 1024);
    }
    await pipeline(Readable.from(blocks()), createWriteStream(big));
    const target = join(work, "out");
    const tap = md5Tap();
    const result = await extractTarGz(packDirectory(source, { gzipLevel: 1 }).pipe(tap), target);
    expect(result.bytes).toBe(100 * 1024 * 1024);
    expect(result.md5).toBe(tap.digest());
    expect(await sha256File(join(target, "big.bin"))).toBe(await sha256File(big));
  });

  it("keeps content, modes and mtimes of files around block, read and write batch sizes, one way and the other with GNU tar", async () => {
    const source = join(work, "src");
    await mkdir(join(source, "many"), { recursive: true });
    const KiB = 1024;
    const sizes = [0, 1, 511, 512, 513, 256 * KiB - 1, 256 * KiB, 256 * KiB + 1, 1024 * KiB, 1024 * KiB + 1, 3 * 1024 * KiB + 7];
    const modes = [0o600, 0o640, 0o755, 0o444];
    const files: string[] = [];
    for (const [index, size] of sizes.entries()) files.push(`size-${index}-${size}.bin`);
    // Many small files in a row: they are read ahead and written in the background.
    for (let index = 0; index < 300; index++) files.push(`many/f-${String(index).padStart(3, "0")}.txt`);
    for (const [index, name] of files.entries()) {
      const path = join(source, name);
      const size = name.startsWith("many/") ? (index * 37) % 3000 : (sizes[index] as number);
      await writeFile(path, randomBytes(size));
      await chmod(path, modes[index % modes.length] as number);
      const when = new Date(Date.UTC(2020, 0, 1) + index * 61_000);
      await utimes(path, when, when);
    }
    const describeTree = async (root: string) =>
      Promise.all(
        files.map(async (name) => {
          const stats = await stat(join(root, name));
          return { name, sha256: await sha256File(join(root, name)), mode: stats.mode & 0o777, mtime: Math.floor(stats.mtimeMs / 1000) };
        }),
      );
    const expected = await describeTree(source);

    const ours = join(work, "ours.tar.gz");
    let tarBytes = 0;
    await pipeline(packDirectory(source, { onTarBytes: (bytes) => (tarBytes += bytes) }), createWriteStream(ours));
    expect(tarBytes).toBe(execFileSync("gzip", ["-dc", ours], { maxBuffer: 64 * 1024 * 1024 }).length);
    const byUs = join(work, "by-us");
    const result = await extractTarGz(createReadStream(ours), byUs);
    expect(result.files).toBe(files.length);
    expect(await describeTree(byUs)).toEqual(expected);
    const byGnu = join(work, "by-gnu");
    await mkdir(byGnu);
    execFileSync("tar", ["-xzf", ours, "-C", byGnu]);
    expect(await describeTree(byGnu)).toEqual(expected);

    const gnuArchive = execFileSync("tar", ["-czf", "-", "-C", source, "."], { maxBuffer: 64 * 1024 * 1024 });
    const fromGnu = join(work, "from-gnu");
    await extractTarGz(Readable.from([gnuArchive]), fromGnu);
    expect(await describeTree(fromGnu)).toEqual(expected);
  });

  it("an empty folder gives an archive with no entries, which extracts to an empty folder", async () => {
    const source = join(work, "src");
    await mkdir(join(source, "only/empty/folders"), { recursive: true });
    const bytes = await collect(packDirectory(source));
    expect(await listArchive(bytes)).toEqual([]);
    const target = join(work, "out");
    expect(await extractTarGz(Readable.from([bytes]), target)).toMatchObject({ files: 0, bytes: 0 });
    expect(await readdir(target)).toEqual([]);
  });

  it("refuses to extract into a folder that is not empty", async () => {
    const target = join(work, "out");
    await mkdir(target);
    await writeFile(join(target, "already"), "x");
    const bytes = await collect(packDirectory(join(work)));
    await expect(extractTarGz(Readable.from([bytes]), target)).rejects.toThrow(/not empty/);
  });
});

describe("packDirectory with dereference", () => {
  it("archives what links point to, under the links' names", async () => {
    const source = join(work, "src");
    const elsewhere = join(work, "elsewhere");
    await mkdir(join(elsewhere, "sub"), { recursive: true });
    await writeFile(join(elsewhere, "sub/f.txt"), "outside content");
    await mkdir(source);
    await writeFile(join(source, "real.txt"), "real");
    await symlink(join(elsewhere, "sub"), join(source, "linked-folder"));
    await symlink("real.txt", join(source, "linked-file"));
    const entries = await listArchive(await collect(packDirectory(source, { dereference: true })));
    expect(entries.map((entry) => [entry.path, entry.type, entry.size])).toEqual([
      ["linked-file", "File", 4],
      ["linked-folder/f.txt", "File", 15],
      ["real.txt", "File", 4],
    ]);
  });

  it("fails with SymlinkLoopError on a link to an ancestor folder", async () => {
    const source = join(work, "src");
    await mkdir(join(source, "a"), { recursive: true });
    await writeFile(join(source, "a/f"), "x");
    await symlink("..", join(source, "a/up"));
    await expect(collect(packDirectory(source, { dereference: true }))).rejects.toBeInstanceOf(SymlinkLoopError);
    // Without dereference the same tree is fine: the link is archived as a link.
    const entries = await listArchive(await collect(packDirectory(source)));
    expect(entries.map((entry) => entry.path)).toEqual(["a/f", "a/up"]);
  });

  it("fails on a link loop between links and on a dangling link", async () => {
    const loop = join(work, "loop");
    await mkdir(loop);
    await symlink("b", join(loop, "a"));
    await symlink("a", join(loop, "b"));
    await expect(collect(packDirectory(loop, { dereference: true }))).rejects.toBeInstanceOf(SymlinkLoopError);
    const dangling = join(work, "dangling");
    await mkdir(dangling);
    await symlink("nowhere", join(dangling, "x"));
    await expect(collect(packDirectory(dangling, { dereference: true }))).rejects.toThrow(/target does not exist/);
  });
});

describe("packDirectory skips what cannot be data", () => {
  it("leaves FIFOs out of the archive", async () => {
    const source = join(work, "src");
    await mkdir(source);
    await writeFile(join(source, "kept"), "k");
    execFileSync("mkfifo", [join(source, "pipe")]);
    const entries = await listArchive(await collect(packDirectory(source)));
    expect(entries.map((entry) => entry.path)).toEqual(["kept"]);
  });
});

describe("md5Tap", () => {
  it("gives the md5 of what passed only once the stream ended", async () => {
    const tap = md5Tap();
    expect(() => tap.digest()).toThrow(/before the stream has ended/);
    const passed = await collect(Readable.from([Buffer.from("abc"), Buffer.from("def")]).pipe(tap));
    expect(passed.toString()).toBe("abcdef");
    expect(tap.digest()).toBe("e80b5017098950fc58aad83c8c14978e");
    expect(tap.bytes).toBe(6);
  });
});

describe("packDirectory errors", () => {
  it("fails on a path that is not a folder", async () => {
    await writeFile(join(work, "file"), "x");
    await expect(collect(packDirectory(join(work, "file")))).rejects.toThrow(/not a folder/);
    await expect(collect(packDirectory(join(work, "missing")))).rejects.toThrow(/ENOENT/);
  });
});
