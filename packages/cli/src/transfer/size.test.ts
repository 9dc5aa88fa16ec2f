import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { estimateSize } from "./size.js";
import { uploadBody } from "./upload-body.js";

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knit-size-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The uncompressed tar bytes the packer reports while the body is read: what the progress bar counts. */
async function packedTarBytes(folder: string): Promise<number> {
  let tarBytes = 0;
  const upload = uploadBody(folder, false, (bytes) => (tarBytes += bytes));
  for await (const _chunk of upload.body) {
    // read to the end
  }
  return tarBytes;
}

describe("the push size estimate", () => {
  it("is the tar's size, headers and padding included, so many small files do not overrun it", async () => {
    const source = join(work, "src");
    await mkdir(join(source, "deep", "er"), { recursive: true });
    await mkdir(join(source, "empty"));
    for (let index = 0; index < 300; index++) await writeFile(join(source, "deep", `f${index}.txt`), "x".repeat(index * 7));
    await writeFile(join(source, "deep", "er", "exact"), Buffer.alloc(1024));
    await writeFile(join(source, "zero"), "");
    await symlink("zero", join(source, "link"));
    const estimate = await estimateSize(source, false);
    expect(estimate).toBe(await packedTarBytes(source));
  });
});
