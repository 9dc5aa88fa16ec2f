/** What a `knitfab serve` home's local data store holds, read from its folders (system tests see the processes from outside). */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Content folders and partial uploads present in a home's local data store. */
export async function storeContents(home: string): Promise<{ data: string[]; partials: string[]; sealed: string[] }> {
  const list = (dir: string) => readdir(join(home, "data", dir)).catch(() => [] as string[]);
  return { data: await list("data"), partials: await list(".partial"), sealed: await list(".sealed") };
}

export const readText = (home: string, knitId: string, file: string) => readFile(join(home, "data", "data", knitId, file), "utf8");
