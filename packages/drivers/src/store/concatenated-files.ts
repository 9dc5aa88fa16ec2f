import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";

/**
 * The raw bytes of every regular file under `dir`, in path order, one after another (the stored-log
 * format). Links are not followed: a log Data is the engine's own, but this never leads out of it.
 */
export function concatenatedFiles(dir: string): Readable {
  async function* files(folder: string): AsyncGenerator<string> {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) yield* files(path);
      else if (entry.isFile()) yield path;
    }
  }
  return Readable.from(
    (async function* () {
      for await (const path of files(dir)) {
        for await (const chunk of createReadStream(path)) yield chunk as Buffer;
      }
    })(),
  );
}
