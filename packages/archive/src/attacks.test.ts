import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptArchiveError, UnsafeArchiveError } from "./errors.js";
import { extractTarGz } from "./extract.js";
import { rawTar, rawTarGz, type RawEntry } from "./raw-archive.js";

let work: string;
let target: string;
let outside: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-attack-"));
  // target is two levels down so `../` and `../../` land in folders we can inspect.
  target = join(work, "level1", "target");
  outside = join(work, "outside");
  await mkdir(outside);
  await mkdir(join(work, "level1"));
  await writeFile(join(outside, "secret"), "do not touch");
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function extract(bytes: Buffer): Promise<unknown> {
  return extractTarGz(Readable.from([bytes]), target);
}

/** Every file under `work` except the target folder: an attack must not add or change any. */
async function filesOutsideTarget(): Promise<string[]> {
  const found: string[] = [];
  async function walk(folder: string, prefix: string): Promise<void> {
    for (const name of await readdir(folder)) {
      const path = join(folder, name);
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      if (path === target) continue;
      found.push(rel);
      const stats = await lstat(path);
      if (stats.isDirectory()) await walk(path, rel);
    }
  }
  await walk(work, "");
  return found.sort();
}

async function expectUnsafe(entries: RawEntry[], entryName: string, reason: RegExp): Promise<void> {
  await rm(target, { recursive: true, force: true });
  const before = await filesOutsideTarget();
  const error = await extract(rawTarGz(entries)).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UnsafeArchiveError);
  expect((error as UnsafeArchiveError).entry).toBe(entryName);
  expect((error as Error).message).toMatch(reason);
  expect(await filesOutsideTarget()).toEqual(before);
  expect(await readFile(join(outside, "secret"), "utf8")).toBe("do not touch");
}

describe("extractTarGz refuses unsafe archives", () => {
  it("names with '..' components", async () => {
    await expectUnsafe([{ path: "../x", content: "x" }], "../x", /'\.\.'/);
    await expectUnsafe([{ path: "a/../../x", content: "x" }], "a/../../x", /'\.\.'/);
    await expectUnsafe([{ path: "ok.txt", content: "fine" }, { path: "../../outside/secret", content: "pwned" }], "../../outside/secret", /'\.\.'/);
  });

  it("absolute names", async () => {
    await expectUnsafe([{ path: "/etc/x", content: "x" }], "/etc/x", /absolute/);
    await expectUnsafe([{ path: join(outside, "new"), content: "x" }], join(outside, "new"), /absolute/);
  });

  it("symbolic links to absolute targets or out of the folder", async () => {
    await expectUnsafe([{ path: "passwd", type: "SymbolicLink", linkpath: "/etc/passwd" }], "passwd", /points outside/);
    await expectUnsafe([{ path: "up", type: "SymbolicLink", linkpath: "../../outside" }], "up", /points outside/);
    await expectUnsafe([{ path: "a/b/up", type: "SymbolicLink", linkpath: "../../.." }], "a/b/up", /points outside/);
  });

  it("symbolic links that escape through another link of the archive, in either order", async () => {
    // d/s1 -> .. is the root (fine); s2 -> d/s1/.. is the root's parent, although it looks like "d".
    const s1: RawEntry = { path: "d/s1", type: "SymbolicLink", linkpath: ".." };
    const s2: RawEntry = { path: "s2", type: "SymbolicLink", linkpath: "d/s1/.." };
    await expectUnsafe([s1, s2], "s2", /points outside/);
    await expectUnsafe([s2, s1], "s2", /through another link/);
  });

  it("hard links to outside, to absolute paths, or to nothing given earlier", async () => {
    await expectUnsafe([{ path: "h", type: "Link", linkpath: "../../outside/secret" }], "h", /hard link target/);
    await expectUnsafe([{ path: "h", type: "Link", linkpath: "/etc/passwd" }], "h", /hard link target/);
    await expectUnsafe([{ path: "h", type: "Link", linkpath: "later" }, { path: "later", content: "x" }], "h", /not a regular file given earlier/);
    await expectUnsafe(
      [
        { path: "l", type: "SymbolicLink", linkpath: "." },
        { path: "h", type: "Link", linkpath: "l" },
      ],
      "h",
      /not a regular file given earlier/,
    );
  });

  it("files written through a symbolic link of the archive", async () => {
    // The link itself is refused first when it points outside...
    await expectUnsafe(
      [
        { path: "l", type: "SymbolicLink", linkpath: outside },
        { path: "l/secret", content: "pwned" },
      ],
      "l",
      /points outside/,
    );
    // ...and even a link pointing inside may not be written through.
    await expectUnsafe(
      [
        { path: "sub/keep", content: "k" },
        { path: "l", type: "SymbolicLink", linkpath: "sub" },
        { path: "l/new", content: "x" },
      ],
      "l/new",
      /written through the symbolic link "l"/,
    );
  });

  it("a name given twice (a file replaced by a link, or a link by a file)", async () => {
    await expectUnsafe(
      [
        { path: "a", content: "first" },
        { path: "a", type: "SymbolicLink", linkpath: "b" },
      ],
      "a",
      /earlier entry/,
    );
    await expectUnsafe(
      [
        { path: "a", type: "SymbolicLink", linkpath: "b" },
        { path: "a", content: "second" },
      ],
      "a",
      /earlier entry/,
    );
    await expectUnsafe(
      [
        { path: "a/b", content: "x" },
        { path: "a", type: "SymbolicLink", linkpath: "." },
      ],
      "a",
      /earlier entry/,
    );
  });

  it("character devices, block devices and FIFOs", async () => {
    await expectUnsafe([{ path: "null", type: "CharacterDevice" }], "null", /special files \(CharacterDevice\)/);
    await expectUnsafe([{ path: "disk", type: "BlockDevice" }], "disk", /special files \(BlockDevice\)/);
    await expectUnsafe([{ path: "pipe", type: "FIFO" }], "pipe", /special files \(FIFO\)/);
  });
});

describe("extractTarGz accepts what is safe", () => {
  it("links that stay inside, hard links to earlier files, './' names and a trailing end marker", async () => {
    const result = await extract(
      rawTarGz([
        { path: "dir/", type: "Directory" },
        { path: "./a/file", content: "content", mode: 0o600 },
        { path: "a/inner-link", type: "SymbolicLink", linkpath: "../dir/../a/file" },
        { path: "a/self", type: "SymbolicLink", linkpath: "." },
        { path: "dangling", type: "SymbolicLink", linkpath: "not/here" },
        { path: "hard", type: "Link", linkpath: "a/file" },
      ]),
    );
    expect(result).toMatchObject({ files: 5, bytes: 7 });
    expect(await readFile(join(target, "a/inner-link"), "utf8")).toBe("content");
    expect(await readFile(join(target, "hard"), "utf8")).toBe("content");
    expect((await lstat(join(target, "a/file"))).mode & 0o777).toBe(0o600);
    expect((await lstat(join(target, "dir"))).isDirectory()).toBe(true);
  });

  it("an archive that ends without the end marker exactly between entries", async () => {
    await extract(rawTarGz([{ path: "f", content: "x" }], { endMarker: false }));
    expect(await readFile(join(target, "f"), "utf8")).toBe("x");
  });

  it("GNU long-name records", async () => {
    const source = join(work, "gnu");
    const long = `${"x".repeat(130)}/${"y".repeat(130)}`;
    await mkdir(join(source, "x".repeat(130)), { recursive: true });
    await writeFile(join(source, long), "gnu");
    const archive = execFileSync("tar", ["--format=gnu", "-czf", "-", "-C", source, long]);
    await extractTarGz(Readable.from([archive]), target);
    expect(await readFile(join(target, long), "utf8")).toBe("gnu");
  });
});

describe("extractTarGz refuses corrupt archives", () => {
  async function expectCorrupt(bytes: Buffer, reason: RegExp): Promise<void> {
    const error = await extract(bytes).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CorruptArchiveError);
    expect((error as Error).message).toMatch(reason);
  }

  it("bytes that are not gzip", async () => {
    await expectCorrupt(Buffer.from("this is plain text, not gzip at all"), /not valid gzip/);
    await expectCorrupt(rawTar([{ path: "f", content: "x" }]), /not valid gzip/);
  });

  it("a gzip stream cut short", async () => {
    const whole = rawTarGz([{ path: "f", content: Buffer.alloc(100_000, 7) }, { path: "g", content: "g" }]);
    await expectCorrupt(whole.subarray(0, Math.floor(whole.length / 2)), /not valid gzip/);
  });

  it("a tar cut inside a body or a header (inside valid gzip)", async () => {
    const tar = rawTar([{ path: "f", content: Buffer.alloc(5000, 1) }], { endMarker: false });
    await expectCorrupt(gzipSync(tar.subarray(0, 2000)), /input ends inside entry "f"/);
    await rm(target, { recursive: true, force: true });
    await expectCorrupt(gzipSync(tar.subarray(0, 300)), /inside the header/);
  });

  it("a header with a bad checksum", async () => {
    const tar = rawTar([{ path: "f", content: "x" }]);
    tar[0] = "g".charCodeAt(0);
    await expectCorrupt(gzipSync(tar), /bad checksum/);
  });

  it("an empty body", async () => {
    await expectCorrupt(Buffer.alloc(0), /empty/);
  });
});
