/**
 * What ANY DataStore must do, as a vitest suite: run it against each implementation (the local
 * store today; a PersistentVolumeClaim store later) with
 *
 *     describeDataStoreContract("local", async () => ({ store, cleanup }));
 *
 * It speaks only through the DataStore interface: no host path, no look at how content is kept.
 * Not part of the built package (it needs vitest); tests import it from the sources.
 */
import { createHash, randomUUID } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { buffer, text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rawTarGz } from "@knitfab/archive";
import type { DataStore } from "../store/data-store.js";
import {
  ChecksumMismatchError,
  ChecksumMissingError,
  DataExistsError,
  DataMissingError,
  DataPathMissingError,
  DataSealedError,
  InvalidKnitIdError,
  UnsafeDataPathError,
} from "../store/errors.js";

export interface DataStoreUnderTest {
  /** A store of its own (empty), for one test. */
  store: DataStore;
  /**
   * Leaves what a crashed upload of `knitId` leaves (a partial), as only the implementation can;
   * without it the partial-listing test runs on what a failed upload leaves (nothing).
   */
  simulateCrashedUpload?: (knitId: string) => Promise<void>;
  cleanup(): Promise<void>;
}

const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex");
const required = (value: string) => ({ announced: () => [value], required: true });
/** knitIds as the server makes them (UUIDs); unique per test so stores may be shared. */
const newKnitId = (): string => randomUUID();

export function describeDataStoreContract(name: string, make: () => Promise<DataStoreUnderTest>): void {
  describe(`DataStore contract: ${name}`, () => {
    let under: DataStoreUnderTest;
    let store: DataStore;
    beforeEach(async () => {
      under = await make();
      store = under.store;
    });
    afterEach(async () => {
      await under?.cleanup();
    });

    const sample = rawTarGz([
      { path: "nested/", type: "Directory" },
      { path: "nested/model.bin", content: Buffer.alloc(70_000, 7) },
      { path: "readme.txt", content: "data\n" },
    ]);

    it("receives an upload whose md5 matches and sends the same content back, with its md5", async () => {
      const knitId = newKnitId();
      const received = await store.receive(knitId, Readable.from([sample]), required(md5(sample)));
      expect(received).toEqual({ files: 2, bytes: 70_005, md5: md5(sample) });
      expect(await store.exists(knitId)).toBe(true);
      expect(await store.list()).toContain(knitId);

      const outgoing = await store.send(knitId);
      const sent = await buffer(outgoing.stream);
      expect(outgoing.md5()).toBe(md5(sent));
      // What was sent is the same content: received again, it lists and reads alike.
      const copy = newKnitId();
      await store.receive(copy, Readable.from([sent]), required(outgoing.md5()));
      expect((await store.listFiles(copy, "", { recursive: true })).entries).toEqual((await store.listFiles(knitId, "", { recursive: true })).entries);
      expect(await text((await store.openFile(copy, "readme.txt")).stream)).toBe("data\n");
      await expect(store.send(newKnitId())).rejects.toBeInstanceOf(DataMissingError);
    });

    it("checks checksums: a mismatch or a missing required one stores nothing; none required accepts", async () => {
      const wrong = newKnitId();
      await expect(store.receive(wrong, Readable.from([sample]), required("0".repeat(32)))).rejects.toBeInstanceOf(ChecksumMismatchError);
      const missing = newKnitId();
      await expect(store.receive(missing, Readable.from([sample]), { announced: () => [], required: true })).rejects.toBeInstanceOf(ChecksumMissingError);
      for (const knitId of [wrong, missing]) expect(await store.exists(knitId)).toBe(false);
      // Any case, announced twice (header and trailer): all must match.
      const upper = newKnitId();
      await store.receive(upper, Readable.from([sample]), { announced: () => [md5(sample).toUpperCase(), md5(sample)], required: true });
      const unchecked = newKnitId();
      await store.receive(unchecked, Readable.from([sample]), { announced: () => [], required: false });
      expect(await store.exists(upper)).toBe(true);
      expect(await store.exists(unchecked)).toBe(true);
      expect(await store.listPartials()).toEqual([]);
    });

    it("never overwrites: a second upload to a knitId is DataExistsError and the first stays", async () => {
      const knitId = newKnitId();
      await store.receive(knitId, Readable.from([rawTarGz([{ path: "v", content: "first" }])]));
      await expect(store.receive(knitId, Readable.from([rawTarGz([{ path: "v", content: "second" }])]))).rejects.toBeInstanceOf(DataExistsError);
      expect(await text((await store.openFile(knitId, "v")).stream)).toBe("first");
    });

    it("removes idempotently, absent knitIds included, and forgets the content", async () => {
      const knitId = newKnitId();
      await store.receive(knitId, Readable.from([sample]));
      await store.remove(knitId);
      await store.remove(knitId);
      await store.remove(newKnitId());
      expect(await store.exists(knitId)).toBe(false);
      expect(await store.list()).not.toContain(knitId);
      await expect(store.listFiles(knitId, "")).rejects.toBeInstanceOf(DataMissingError);
    });

    it("prepares a volume (idempotently), takes files written into it, and seals it for good", async () => {
      const knitId = newKnitId();
      const volume = await store.prepare(knitId);
      expect(await store.prepare(knitId)).toEqual(volume);
      expect(store.volumeOf(knitId)).toEqual(volume);
      expect(await store.exists(knitId)).toBe(true);
      expect(await store.volumeReady(knitId, 0)).toBe(true);
      expect(await store.volumeReady(newKnitId(), 0)).toBe(false);
      await store.writeFile(knitId, "out/result.txt", Readable.from(["a longer first version"]));
      await store.writeFile(knitId, "out/result.txt", Readable.from(["42"]));
      // Unsealed content is no Data yet: it cannot be browsed.
      await expect(store.listFiles(knitId, "")).rejects.toBeInstanceOf(DataMissingError);

      const report = await store.seal(knitId);
      expect(report).toEqual({ privilegeBits: [], specialFiles: [], outsideLinks: [], bytes: 2 });
      await store.seal(knitId);
      const listing = await store.listFiles(knitId, "", { recursive: true });
      expect(listing.entries.map((entry) => [entry.path, entry.type, entry.size])).toEqual([
        ["out", "dir", 0],
        ["out/result.txt", "file", 2],
      ]);
      expect(await text((await store.openFile(knitId, "out/result.txt")).stream)).toBe("42");
      const range = await store.openFile(knitId, "out/result.txt", { start: 1 });
      expect([range.start, range.end, range.size, await text(range.stream)]).toEqual([1, 1, 2, "2"]);

      await expect(store.prepare(knitId)).rejects.toBeInstanceOf(DataSealedError);
      await expect(store.writeFile(knitId, "more", Readable.from(["x"]))).rejects.toBeInstanceOf(DataSealedError);
      await expect(store.receive(knitId, Readable.from([rawTarGz([])]))).rejects.toBeInstanceOf(DataExistsError);
      expect((await buffer((await store.send(knitId)).stream)).length).toBeGreaterThan(0);
    });

    it("refuses writes outside a prepared volume and paths leading out of it", async () => {
      const unread = Readable.from(["x"]);
      await expect(store.writeFile(newKnitId(), "log", unread)).rejects.toBeInstanceOf(DataMissingError);
      expect(unread.destroyed).toBe(true);
      await expect(store.seal(newKnitId())).rejects.toBeInstanceOf(DataMissingError);
      const knitId = newKnitId();
      await store.prepare(knitId);
      for (const path of ["../escape", "/etc/passwd", "a/../../b", "", "x\0y"]) {
        await expect(store.writeFile(knitId, path, Readable.from(["x"])), JSON.stringify(path)).rejects.toBeInstanceOf(UnsafeDataPathError);
      }
      // A failing source fails the write with its own error.
      const broken = new Readable({ read() { this.destroy(new Error("the source broke")); } });
      await expect(store.writeFile(knitId, "log", broken)).rejects.toThrow("the source broke");
    });

    it("an empty prepared volume may still receive an upload, as an empty volume may", async () => {
      const knitId = newKnitId();
      await store.prepare(knitId);
      await store.receive(knitId, Readable.from([rawTarGz([{ path: "f", content: "x" }])]));
      expect(await text((await store.openFile(knitId, "f")).stream)).toBe("x");
    });

    it("writes a log while it grows, follows it to its end, and reads it back whole", async () => {
      const knitId = newKnitId();
      await store.prepare(knitId);
      await store.writeFile(knitId, "log", Readable.from([]));
      expect(await text(await store.readConcatenated(knitId))).toBe("");

      let writing = true;
      const source = new PassThrough();
      const written = store.writeFile(knitId, "log", source);
      const followed = await store.followFile(knitId, "log", { stillWriting: async () => writing, pollMs: 20 });
      const chunks: string[] = [];
      const reading = (async () => {
        for await (const chunk of followed) chunks.push(Buffer.from(chunk as Buffer).toString());
      })();
      source.write("first\n");
      // The follower sees what is written before the writer ends (bounded as a hang guard only).
      for (let wait = 0; !chunks.join("").includes("first") && wait < 500; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(chunks.join("")).toBe("first\n");
      source.end("second\n");
      await written;
      writing = false;
      await reading;
      expect(chunks.join("")).toBe("first\nsecond\n");
      expect(await text(await store.readConcatenated(knitId))).toBe("first\nsecond\n");

      await store.seal(knitId);
      expect(await text(await store.readConcatenated(knitId))).toBe("first\nsecond\n");
      expect(await text(await store.followFile(knitId, "log", { stillWriting: async () => false }))).toBe("first\nsecond\n");
      await expect(store.followFile(knitId, "nope", { stillWriting: async () => false })).rejects.toBeInstanceOf(DataPathMissingError);
      await expect(store.followFile(newKnitId(), "log", { stillWriting: async () => false })).rejects.toBeInstanceOf(DataMissingError);
      await expect(store.readConcatenated(newKnitId())).rejects.toBeInstanceOf(DataMissingError);
    });

    it("leaves no partial after a failed upload, and lists and removes what a crash left", async () => {
      const knitId = newKnitId();
      const failing = new Readable({
        read() {
          this.push(sample.subarray(0, 100));
          this.destroy(new Error("the client went away"));
        },
      });
      await expect(store.receive(knitId, failing)).rejects.toThrow();
      expect(await store.exists(knitId)).toBe(false);
      expect(await store.listPartials()).toEqual([]);
      await store.removePartial(`${knitId}.never-there`);
      await expect(store.removePartial("../outside")).rejects.toBeInstanceOf(InvalidKnitIdError);
      if (!under.simulateCrashedUpload) return;
      await under.simulateCrashedUpload(knitId);
      const partials = await store.listPartials();
      expect(partials).toHaveLength(1);
      expect(partials[0]!.mtime).toBeInstanceOf(Date);
      expect(await store.exists(knitId)).toBe(false);
      await store.removePartial(partials[0]!.name);
      await store.removePartial(partials[0]!.name);
      expect(await store.listPartials()).toEqual([]);
    });

    it("names volumes to outsiders as the reference names its PVCs, and resolves only such names", () => {
      const knitId = newKnitId();
      expect(store.referenceOf(knitId)).toBe(`data-knitid-${knitId}`);
      expect(store.knitIdOfReference(store.referenceOf(knitId))).toBe(knitId);
      for (const bad of ["/home/x/data/data/k", "data-knitid-", "data-knitid-../x", knitId]) expect(store.knitIdOfReference(bad)).toBeUndefined();
    });

    it("refuses knitIds that are not plain names before touching anything", async () => {
      for (const bad of ["", ".", "..", "../x", "a/b", "x\0y"]) {
        expect(() => store.volumeOf(bad)).toThrow(InvalidKnitIdError);
        await expect(store.prepare(bad)).rejects.toBeInstanceOf(InvalidKnitIdError);
        await expect(store.receive(bad, Readable.from([rawTarGz([])]))).rejects.toBeInstanceOf(InvalidKnitIdError);
        await expect(store.remove(bad)).rejects.toBeInstanceOf(InvalidKnitIdError);
      }
    });

    it("tells its free space, or that it cannot", async () => {
      const free = await store.freeSpace();
      if (free !== undefined) expect(free).toBeGreaterThanOrEqual(0);
    });
  });
}
