import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** One digest over every regular file's relative path and content, to check a copy is identical. */
export async function treeDigest(root) {
  const names = [];
  async function walk(relative) {
    for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(name);
      else names.push(name);
    }
  }
  await walk("");
  names.sort();
  const digest = createHash("sha256");
  for (const name of names) {
    const file = createHash("sha256");
    for await (const chunk of createReadStream(join(root, name))) file.update(chunk);
    digest.update(`${name}\0${file.digest("hex")}\n`);
  }
  return { files: names.length, digest: digest.digest("hex") };
}
