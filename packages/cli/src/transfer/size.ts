import { BLOCK } from "@knitfab/archive";
import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** The two zero blocks that end a tar. */
const END_OF_ARCHIVE_BYTES = 2 * BLOCK;

/**
 * About the bytes of the uncompressed tar of `dir`, the unit the push progress bar counts in: a
 * header block for every file and link (folders are walked, not archived: see the archive's walk),
 * and every file's content padded to whole blocks. With many small
 * files the headers are most of it, so the sum of file sizes alone falls far short. Long names
 * (extended headers) are not counted. Errors count as 0.
 */
export async function estimateSize(dir: string, dereference: boolean): Promise<number> {
  let total = END_OF_ARCHIVE_BYTES;
  const seen = new Set<string>();
  const visit = async (path: string, isRoot: boolean): Promise<void> => {
    let info;
    try {
      info = dereference ? await stat(path) : await lstat(path);
    } catch {
      return;
    }
    if (info.isFile()) {
      total += BLOCK + Math.ceil(info.size / BLOCK) * BLOCK;
    } else if (info.isDirectory()) {
      const identity = `${info.dev}:${info.ino}`;
      if (seen.has(identity)) return;
      seen.add(identity);
      let names: string[] = [];
      try {
        names = await readdir(path);
      } catch {
        return;
      }
      for (const name of names) await visit(join(path, name), false);
    } else if (info.isSymbolicLink() && !isRoot) {
      total += BLOCK;
    }
  };
  await visit(dir, true);
  return total;
}
