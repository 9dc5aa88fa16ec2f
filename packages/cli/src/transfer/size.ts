import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Sum of regular file sizes under `dir`: the push progress bar's estimated total. Errors count as 0. */
export async function estimateSize(dir: string, dereference: boolean): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const visit = async (path: string): Promise<void> => {
    let info;
    try {
      info = dereference ? await stat(path) : await lstat(path);
    } catch {
      return;
    }
    if (info.isFile()) {
      total += info.size;
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
      for (const name of names) await visit(join(path, name));
    }
  };
  await visit(dir);
  return total;
}
