import { buffer } from "node:stream/consumers";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UnsafeArchiveError, packDirectory, rawTarGz } from "@knitfab/archive";
import type { DataVolume } from "../volume.js";
import type { DataStore } from "./data-store.js";
import { ChecksumMismatchError, ChecksumMissingError, DataExistsError, DataMissingError, DataSealedError, InvalidKnitIdError } from "./errors.js";
import { createLocalDataStore } from "./local-data-store.js";

let work: string;
let root: string;
let store: DataStore;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-store-"));
  root = join(work, "store");
  store = createLocalDataStore(root);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The local store's volumes are host folders; this test looks into them (nothing outside the drivers may). */
const folderOf = (volume: DataVolume): string => {
  if (volume.kind !== "host-folder") throw new Error(`a local store handed out ${volume.kind}`);
  return volume.path;
};
const pathOf = (knitId: string): string => folderOf(store.volumeOf(knitId));

// Node's own stream consumer reads a stream whole (test data is small)
const collect = (stream: Readable): Promise<Buffer> => buffer(stream);

const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex");
/** One required checksum, read when the store asks for it (after the body, like a trailer). */
const expecting = (value: () => string) => ({ announced: () => [value()], required: true });

async function sampleArchive(): Promise<Buffer> {
  const source = join(work, "source");
  await mkdir(join(source, "nested/deeper"), { recursive: true });
  await writeFile(join(source, "nested/deeper/model.bin"), randomBytes(200_000));
  await writeFile(join(source, "readme.txt"), "data\n");
  await symlink("nested/deeper/model.bin", join(source, "latest"));
  return collect(packDirectory(source));
}

/** Nothing of a failed upload may be visible: no data folder, no partial left behind. */
async function expectNothingStored(knitId: string): Promise<void> {
  expect(await store.exists(knitId)).toBe(false);
  expect(await store.list()).toEqual([]);
  expect(await store.listPartials()).toEqual([]);
}

describe("local data store: receive and send", () => {
  it("stores an upload whose md5 matches and sends the same content back", async () => {
    const archive = await sampleArchive();
    const received = await store.receive("k-1", Readable.from([archive]), expecting(() => md5(archive)));
    expect(received).toEqual({ files: 3, bytes: 200_005, md5: md5(archive) });
    expect(await store.exists("k-1")).toBe(true);
    expect(await store.list()).toEqual(["k-1"]);
    expect(await readFile(join(pathOf("k-1"), "readme.txt"), "utf8")).toBe("data\n");

    const outgoing = await store.send("k-1");
    const sent = await collect(outgoing.stream);
    expect(outgoing.md5()).toBe(md5(sent));
    // What we send back extracts to the same tree.
    const again = createLocalDataStore(join(work, "other"));
    await again.receive("copy", Readable.from([sent]), expecting(() => outgoing.md5()));
    expect(await readFile(join(folderOf(again.volumeOf("copy")), "nested/deeper/model.bin"))).toEqual(
      await readFile(join(pathOf("k-1"), "nested/deeper/model.bin")),
    );
  });

  it("accepts an upload without an md5 when none is required", async () => {
    const archive = await sampleArchive();
    await store.receive("k-1", Readable.from([archive]), { announced: () => [], required: false });
    await store.receive("k-2", Readable.from([archive]));
    expect((await store.list()).sort()).toEqual(["k-1", "k-2"]);
  });

  it("refuses an upload without an md5 when one is required, and keeps nothing", async () => {
    const archive = await sampleArchive();
    await expect(store.receive("k-1", Readable.from([archive]), { announced: () => [], required: true })).rejects.toBeInstanceOf(
      ChecksumMissingError,
    );
    await expectNothingStored("k-1");
  });

  it("checks every announced md5 (a header and a trailer): one wrong is a mismatch", async () => {
    const archive = await sampleArchive();
    const both = { announced: () => [md5(archive).toUpperCase(), "0".repeat(32)], required: true };
    await expect(store.receive("k-1", Readable.from([archive]), both)).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expectNothingStored("k-1");
  });

  it("reads the expected md5 only after the body ended, as a trailer arrives last", async () => {
    const archive = await sampleArchive();
    let trailer: string | undefined;
    async function* body(): AsyncGenerator<Buffer> {
      yield archive.subarray(0, 1000);
      yield archive.subarray(1000);
      trailer = md5(archive);
    }
    await store.receive("k-1", Readable.from(body()), expecting(() => trailer ?? "not-yet"));
    expect(await store.exists("k-1")).toBe(true);
  });

  it("rejects an md5 mismatch and keeps nothing", async () => {
    const archive = await sampleArchive();
    const error = await store.receive("k-1", Readable.from([archive]), expecting(() => "0".repeat(32))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as ChecksumMismatchError).reason).toBe("hash is not match.");
    expect((error as ChecksumMismatchError).wireMessage).toMatch(/upload it again/);
    await expectNothingStored("k-1");
  });

  it("leaves nothing visible when the source fails half-way", async () => {
    const archive = await sampleArchive();
    async function* interrupted(): AsyncGenerator<Buffer> {
      yield archive.subarray(0, Math.floor(archive.length / 2));
      throw new Error("connection reset by peer");
    }
    await expect(store.receive("k-1", Readable.from(interrupted()))).rejects.toThrow(/connection reset/);
    await expectNothingStored("k-1");
  });

  it("leaves nothing visible when the archive is unsafe part-way through", async () => {
    const archive = rawTarGz([
      { path: "good/one", content: "fine" },
      { path: "good/two", content: "fine too" },
      { path: "../escape", content: "bad" },
    ]);
    await expect(store.receive("k-1", Readable.from([archive]))).rejects.toBeInstanceOf(UnsafeArchiveError);
    await expectNothingStored("k-1");
    expect(await readdir(work)).not.toContain("escape");
  });

  it("never overwrites: a second upload to the same knitId is DataExistsError and the first stays", async () => {
    await store.receive("k-1", Readable.from([rawTarGz([{ path: "v", content: "first" }])]));
    const second = Readable.from([rawTarGz([{ path: "v", content: "second" }])]);
    await expect(store.receive("k-1", second)).rejects.toBeInstanceOf(DataExistsError);
    expect(await readFile(join(pathOf("k-1"), "v"), "utf8")).toBe("first");
    expect(await store.listPartials()).toEqual([]);
    // An uploaded data with no files is complete too, so it cannot be written again either.
    await store.receive("empty", Readable.from([rawTarGz([])]));
    await expect(store.receive("empty", Readable.from([rawTarGz([{ path: "v", content: "x" }])]))).rejects.toBeInstanceOf(
      DataExistsError,
    );
  });

  it("send of a knitId without content is DataMissingError", async () => {
    await expect(store.send("absent")).rejects.toBeInstanceOf(DataMissingError);
  });
});

describe("local data store: run outputs and housekeeping", () => {
  it("prepare gives one writable folder (idempotent), seal closes it for writing", async () => {
    const path = folderOf(await store.prepare("out-1"));
    expect(path).toBe(pathOf("out-1"));
    expect(path).toBe(join(root, "data", "out-1"));
    expect((await stat(path)).mode & 0o777).toBe(0o777);
    await writeFile(join(path, "result.txt"), "42");
    expect(folderOf(await store.prepare("out-1"))).toBe(path);
    expect(await readFile(join(path, "result.txt"), "utf8")).toBe("42");

    await store.seal("out-1");
    await store.seal("out-1");
    await expect(store.prepare("out-1")).rejects.toBeInstanceOf(DataSealedError);
    await expect(store.receive("out-1", Readable.from([rawTarGz([])]))).rejects.toBeInstanceOf(DataExistsError);
    const sent = await collect((await store.send("out-1")).stream);
    expect(sent.length).toBeGreaterThan(0);
    await expect(store.seal("never-allocated")).rejects.toBeInstanceOf(DataMissingError);
  });

  it("keeps its folders private, gives an importer a private folder, and seals outputs defused and read-only for others", async () => {
    const path = folderOf(await store.prepare("out-1"));
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    for (const inner of ["data", ".partial", ".sealed"]) expect((await stat(join(root, inner))).mode & 0o777).toBe(0o700);
    expect((await stat(folderOf(await store.prepare("imp-1", "importer")))).mode & 0o777).toBe(0o700);
    await writeFile(join(path, "shell"), "#!/bin/sh\n", { mode: 0o4755 });
    await chmod(join(path, "shell"), 0o4755);
    await symlink("/etc/shadow", join(path, "secrets"));
    expect(await store.seal("out-1")).toEqual({ privilegeBits: ["shell"], specialFiles: [], outsideLinks: ["secrets"], bytes: "#!/bin/sh\n".length });
    expect((await stat(path)).mode & 0o777).toBe(0o755);
    expect((await stat(join(path, "shell"))).mode & 0o7777).toBe(0o755);
    expect(await readdir(path)).toEqual(["shell"]);
  });

  it("names volumes as the reference names its PVCs and resolves only such names", () => {
    expect(store.referenceOf("0b5d5a55-6d2c-4c4d-8b59-4f3e8f4f1a10")).toBe("data-knitid-0b5d5a55-6d2c-4c4d-8b59-4f3e8f4f1a10");
    expect(store.knitIdOfReference("data-knitid-0b5d5a55-6d2c-4c4d-8b59-4f3e8f4f1a10")).toBe("0b5d5a55-6d2c-4c4d-8b59-4f3e8f4f1a10");
    for (const bad of ["/home/x/data/data/k", "data-knitid-", "data-knitid-../x", "k-1"]) expect(store.knitIdOfReference(bad)).toBeUndefined();
  });

  it("a prepared but empty folder may still receive an upload, as an empty volume may", async () => {
    await store.prepare("k-1");
    await store.receive("k-1", Readable.from([rawTarGz([{ path: "f", content: "x" }])]));
    expect(await readFile(join(pathOf("k-1"), "f"), "utf8")).toBe("x");
  });

  it("remove is idempotent and forgets the seal", async () => {
    await store.receive("k-1", Readable.from([rawTarGz([{ path: "a/b", content: "x" }])]));
    await store.remove("k-1");
    await store.remove("k-1");
    await store.remove("never-there");
    expect(await store.exists("k-1")).toBe(false);
    await store.receive("k-1", Readable.from([rawTarGz([{ path: "again", content: "y" }])]));
    expect(await store.list()).toEqual(["k-1"]);
  });

  it("lists and removes partial uploads left by a crash", async () => {
    await store.list();
    const leftover = join(root, ".partial", "k-9.abcdef");
    await mkdir(join(leftover, "sub"), { recursive: true });
    await writeFile(join(leftover, "sub/f"), "half");
    const partials = await store.listPartials();
    expect(partials.map((partial) => partial.name)).toEqual(["k-9.abcdef"]);
    expect(partials[0]?.mtime).toBeInstanceOf(Date);
    expect(await store.exists("k-9")).toBe(false);
    await store.removePartial("k-9.abcdef");
    await store.removePartial("k-9.abcdef");
    expect(await store.listPartials()).toEqual([]);
  });

  it("refuses knitIds and partial names that are not plain names", async () => {
    for (const bad of ["", ".", "..", "../x", "a/b", ".hidden", "x\0y"]) {
      expect(() => store.volumeOf(bad)).toThrow(InvalidKnitIdError);
      await expect(store.receive(bad, Readable.from([rawTarGz([])]))).rejects.toBeInstanceOf(InvalidKnitIdError);
      await expect(store.prepare(bad)).rejects.toBeInstanceOf(InvalidKnitIdError);
      await expect(store.remove(bad)).rejects.toBeInstanceOf(InvalidKnitIdError);
      await expect(store.removePartial(bad)).rejects.toBeInstanceOf(InvalidKnitIdError);
    }
    // Validation comes first: not even the store folders were created.
    expect(await readdir(work)).toEqual([]);
  });
});
