import { lstat, readdir, readlink, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { SymlinkLoopError } from "./errors.js";

/** Entries of a folder looked up at once (see walkInside). */
const STAT_AHEAD = 32;

/** One non-directory entry found under the archived folder. */
export type WalkedEntry =
  | { kind: "file"; name: string; absolute: string; stats: Stats }
  | { kind: "symlink"; name: string; absolute: string; stats: Stats; target: string };

/**
 * Lists the regular files and symbolic links under `root` (depth first, names sorted so archives
 * are reproducible). Directories are walked, never listed, so empty folders disappear, as in
 * the reference. Sockets, FIFOs and devices are skipped: the extracting side refuses them anyway.
 *
 * With `dereference`, links are followed: a link to a file yields the target's content under the
 * link's name, a link to a folder is walked, and a link back to one of its own ancestors is a
 * loop (SymlinkLoopError). A dangling link is an error then, since there is nothing to archive.
 */
export async function* walkFolder(root: string, dereference: boolean): AsyncGenerator<WalkedEntry> {
  const rootStats = await stat(root);
  if (!rootStats.isDirectory()) throw new Error(`cannot archive "${root}": it is not a folder`);
  yield* walkInside(root, "", dereference, new Set([await realpath(root)]));
}

async function* walkInside(
  folder: string,
  prefix: string,
  dereference: boolean,
  ancestors: ReadonlySet<string>,
): AsyncGenerator<WalkedEntry> {
  const names = (await readdir(folder)).sort();
  // The entries of a folder are looked up STAT_AHEAD at a time, in libuv's thread pool at once, and
  // taken in order (a failure surfaces in its turn): one after the other, each look-up's round trip
  // to the pool would bound the walk, and with it the packing of many small files.
  const lookUp = (base: string) => {
    const absolute = join(folder, base);
    const name = prefix === "" ? base : `${prefix}/${base}`;
    const stats = dereference ? statFollowing(absolute, name) : lstat(absolute);
    stats.catch(() => undefined); // awaited in its turn below
    return { absolute, name, stats };
  };
  const pending = names.slice(0, STAT_AHEAD).map(lookUp);
  for (let index = 0; index < names.length; index++) {
    const { absolute, name, stats: looking } = pending.shift() as ReturnType<typeof lookUp>;
    const next = names[index + STAT_AHEAD];
    if (next !== undefined) pending.push(lookUp(next));
    const stats = await looking;
    if (stats.isDirectory()) {
      if (dereference) {
        const real = await realpath(absolute);
        if (ancestors.has(real)) throw new SymlinkLoopError(name);
        yield* walkInside(absolute, name, dereference, new Set([...ancestors, real]));
      } else {
        yield* walkInside(absolute, name, dereference, ancestors);
      }
    } else if (stats.isFile()) {
      yield { kind: "file", name, absolute, stats };
    } else if (stats.isSymbolicLink()) {
      yield { kind: "symlink", name, absolute, stats, target: await readlink(absolute) };
    }
  }
}

async function statFollowing(absolute: string, name: string): Promise<Stats> {
  try {
    return await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new SymlinkLoopError(name);
    if (code === "ENOENT") {
      throw new Error(`cannot follow symbolic link "${name}": its target does not exist`, { cause: error });
    }
    throw error;
  }
}
