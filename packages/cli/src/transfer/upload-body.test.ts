import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uploadBody } from "./upload-body.js";

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knit-upload-body-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("uploadBody", () => {
  it("is gzip(tar) of the folder that GNU tar reads, with its md5 and the tar size reported", async () => {
    const source = join(work, "src");
    await mkdir(join(source, "sub"), { recursive: true });
    await writeFile(join(source, "a.txt"), "alpha\n");
    await writeFile(join(source, "sub/b.bin"), Buffer.alloc(3 * 1024 * 1024, 7));
    let tarBytes = 0;
    const upload = uploadBody(source, false, (bytes) => (tarBytes += bytes));
    expect(() => upload.md5()).toThrow();
    const chunks: Buffer[] = [];
    for await (const chunk of upload.body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(upload.md5()).toBe(createHash("md5").update(bytes).digest("hex"));
    expect(tarBytes).toBe(execFileSync("gzip", ["-dc"], { input: bytes, maxBuffer: 16 * 1024 * 1024 }).length);
    expect(execFileSync("tar", ["-tzf", "-"], { input: bytes, encoding: "utf8" }).trim().split("\n")).toEqual(["a.txt", "sub/b.bin"]);
  });

  it("fails the body when the folder cannot be read", async () => {
    const upload = uploadBody(join(work, "missing"), false, () => undefined);
    await expect(
      (async () => {
        for await (const _chunk of upload.body) {
          // reading until the error
        }
      })(),
    ).rejects.toThrow(/ENOENT|not a folder/);
  });
});
