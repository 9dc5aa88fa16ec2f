import { constants } from "node:fs";
import { lstat, open, opendir, readlink, realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import type { ByteRange, DataFileEntry, DataFileList, DataFileStream } from "./data-store.js";
import { DataPathMissingError, NotAFileError, RangeNotSatisfiableError, UnsafeDataPathError } from "./errors.js";

/** Longest path inside a Data we look at (Linux's PATH_MAX). */
const MAX_PATH_BYTES = 4096;
/** Most entries one listing returns: a recursive listing of a huge Data stays a bounded answer. */
export const MAX_LISTED_ENTRIES = 10_000;

/**
 * A path inside a Data as its '/'-separated parts: "" and "." are the Data's root, "a//b/" is "a/b".
 * NUL, an absolute path and any ".." part are refused (never resolved away: "a/../b" is as refused
 * as "../b", so a request means exactly what it says).
 */
export function dataPathParts(path: string): string[] {
  if (path.includes("\0")) throw new UnsafeDataPathError(path, "it contains a NUL character");
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw new UnsafeDataPathError(path.slice(0, 64) + "…", `it is longer than ${MAX_PATH_BYTES} bytes`);
  if (path.startsWith("/")) throw new UnsafeDataPathError(path, "it is absolute");
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) throw new UnsafeDataPathError(path, "it contains '..'");
  return parts;
}

/**
 * Where `parts` leads inside `root` on the disk, following symbolic links only while they stay inside
 * `root` (a link to elsewhere in the Data works; one leading out of it is as absent as a missing file).
 * Returns the real path; throws DataPathMissingError for anything else.
 */
export async function resolveInside(root: string, parts: string[], shown: string): Promise<string> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(join(realRoot, ...parts));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") throw new DataPathMissingError(shown);
    throw error;
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new DataPathMissingError(shown);
  return real;
}

/** The entry's path relative to the Data's root, '/'-separated. */
const relative = (realRoot: string, real: string): string => (real === realRoot ? "" : real.slice(realRoot.length + 1).split(sep).join("/"));

/**
 * The entries at `path` in the Data folder `root`: a folder's children (all its descendants when
 * `recursive`), or the one entry of a file. Symbolic links are listed as links with their target
 * and never descended into, so a listing shows the Data as it is stored.
 */
export async function listDataFiles(root: string, path: string, recursive: boolean): Promise<DataFileList> {
  const shown = dataPathParts(path).join("/");
  const realRoot = await realpath(root);
  const real = await resolveInside(root, dataPathParts(path), shown);
  const entries: DataFileEntry[] = [];
  const totals = { files: 0, dirs: 0, links: 0, bytes: 0 };
  let truncated = false;
  const add = async (full: string): Promise<boolean> => {
    if (entries.length >= MAX_LISTED_ENTRIES) {
      truncated = true;
      return false;
    }
    const entry = await describeEntry(realRoot, full);
    if (entry === undefined) return true;
    entries.push(entry);
    if (entry.type === "file") {
      totals.files += 1;
      totals.bytes += entry.size;
    } else if (entry.type === "dir") totals.dirs += 1;
    else totals.links += 1;
    return true;
  };
  const stats = await lstat(real);
  if (!stats.isDirectory()) {
    await add(real);
    return { path: shown, type: "file", entries, totals, truncated };
  }
  // Breadth first, each folder's children sorted by name: stable output for people and tests.
  const pending = [real];
  while (pending.length > 0 && !truncated) {
    const folder = pending.shift() as string;
    const names: string[] = [];
    const dir = await opendir(folder);
    for await (const child of dir) names.push(child.name);
    names.sort();
    for (const name of names) {
      const full = join(folder, name);
      if (!(await add(full))) break;
      if (recursive && entries.at(-1)?.type === "dir") pending.push(full);
    }
  }
  return { path: shown, type: "dir", entries, totals, truncated };
}

async function describeEntry(realRoot: string, full: string): Promise<DataFileEntry | undefined> {
  const stats = await lstat(full).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  });
  if (stats === undefined) return undefined;
  const path = relative(realRoot, full);
  const name = path.split("/").at(-1) ?? "";
  if (stats.isSymbolicLink()) return { name, path, type: "link", size: 0, target: await readlink(full) };
  if (stats.isDirectory()) return { name, path, type: "dir", size: 0 };
  // A sealed Data holds no special files (they are defused when sealed); only regular files remain.
  if (!stats.isFile()) return undefined;
  return { name, path, type: "file", size: stats.size };
}

/**
 * The bytes of the regular file at `path` in the Data folder `root`, or of `range` of them. The file
 * is opened once (never following a last link component the checks did not see) and its size taken
 * from the open file, so what is checked is what is read.
 */
export async function openDataFile(root: string, path: string, range?: ByteRange): Promise<DataFileStream> {
  const shown = dataPathParts(path).join("/");
  const real = await resolveInside(root, dataPathParts(path), shown);
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotAFileError(shown);
    const size = stats.size;
    const [start, end] = range === undefined ? [0, size - 1] : satisfiable(range, size);
    // An empty file has no byte to read: createReadStream with end -1 would read it all anyway.
    const stream = handle.createReadStream(size === 0 ? { start: 0, end: 0, autoClose: true } : { start, end, autoClose: true });
    return { stream, size, start, end };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** First and last byte (inclusive) of `range` in a file of `size` bytes (RFC 9110 §14.1.2). */
function satisfiable(range: ByteRange, size: number): [number, number] {
  if ("suffix" in range) {
    if (range.suffix <= 0 || size === 0) throw new RangeNotSatisfiableError(size);
    return [Math.max(0, size - range.suffix), size - 1];
  }
  if (range.start >= size) throw new RangeNotSatisfiableError(size);
  const end = range.end === undefined ? size - 1 : Math.min(range.end, size - 1);
  if (end < range.start) throw new RangeNotSatisfiableError(size);
  return [range.start, end];
}
