import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { Io } from "./io.js";
import type { CommonSettings } from "../profile/locate.js";

/** An executable `knit-NAME` found on PATH, run as `knit NAME`. */
export interface Extension {
  name: string;
  path: string;
}

const SUFFIXES = /\.(exe|bat|cmd|com)$/i;

/**
 * Scans PATH in order (an empty entry is `.`); the first `knit-NAME` found wins. Synchronously: it
 * runs before every command, and asynchronous calls would start libuv's thread pool only for this.
 * A directory listed again (a repeated entry, or /bin beside /usr/bin where one links to the other)
 * is read once: its names were all found already, and listing big directories is most of the scan.
 * With `cacheFile`, the `knit-*` names of each directory are kept there (see readListing), so a
 * directory that has not changed since is not listed again: listing /usr/bin and the like is most of
 * what knit does at start besides the command itself. Each name found is still checked at each start.
 */
export function findExtensions(pathVariable: string | undefined, cwd: string, cacheFile?: string): Extension[] {
  const found = new Map<string, Extension>();
  const scanned = new Set<string>();
  const cache = cacheFile === undefined ? undefined : readListingCache(cacheFile);
  let cacheChanged = false;
  for (const entry of (pathVariable ?? "").split(delimiter)) {
    const dir = resolve(cwd, entry === "" ? "." : entry);
    let names: string[];
    try {
      const stats = statSync(dir);
      const identity = `${stats.dev}:${stats.ino}`;
      if (stats.ino !== 0 && scanned.has(identity)) continue; // (a file system without inode numbers: read all)
      scanned.add(identity);
      const listing = readListing(dir, stats, cache);
      names = listing.names;
      cacheChanged ||= listing.cacheChanged;
    } catch {
      continue;
    }
    for (const file of [...names].sort()) {
      const name = file.slice("knit-".length).replace(SUFFIXES, "");
      if (name === "" || found.has(name)) continue;
      const path = join(dir, file);
      try {
        if (statSync(path).isDirectory()) continue;
        accessSync(path, constants.X_OK);
      } catch {
        continue;
      }
      found.set(name, { name, path });
    }
  }
  if (cacheFile !== undefined && cache !== undefined && cacheChanged) writeListingCache(cacheFile, cache, scanned);
  return [...found.values()];
}

/** The cache file of the PATH scan: in the user's cache folder (XDG), or none without a home. */
export function extensionCacheFile(env: NodeJS.ProcessEnv): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "knit", "path-scan.json");
  return env.HOME ? join(env.HOME, ".cache", "knit", "path-scan.json") : undefined;
}

/** What the cache keeps of a directory: what it was when listed, and its `knit-*` names then. */
interface CachedListing {
  dev: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  names: string[];
}

/**
 * A directory changed since it was listed if its modification time did (adding, removing or renaming
 * an entry sets it), or its change time (which `touch -d` cannot set back), or it is another directory.
 * A listing is kept only once the directory's modification time is this far in the past: an entry
 * added in the same tick of the file system's clock as the listing would not change the time again.
 */
const SETTLED_MS = 2000;

function readListing(dir: string, stats: Stats, cache: Map<string, CachedListing> | undefined): { names: string[]; cacheChanged: boolean } {
  const kept = cache?.get(dir);
  if (kept && kept.dev === stats.dev && kept.ino === stats.ino && kept.mtimeMs === stats.mtimeMs && kept.ctimeMs === stats.ctimeMs) {
    return { names: kept.names, cacheChanged: false };
  }
  const names = readdirSync(dir).filter((n) => n.startsWith("knit-"));
  if (cache === undefined) return { names, cacheChanged: false };
  if (stats.mtimeMs < Date.now() - SETTLED_MS) cache.set(dir, { dev: stats.dev, ino: stats.ino, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, names });
  else cache.delete(dir);
  return { names, cacheChanged: true };
}

/** The cache as stored, without what is not in its shape; empty when missing or unreadable. */
function readListingCache(file: string): Map<string, CachedListing> {
  const cache = new Map<string, CachedListing>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return cache;
  }
  const dirs = (parsed as { dirs?: unknown } | null)?.dirs;
  if (typeof dirs !== "object" || dirs === null) return cache;
  for (const [dir, value] of Object.entries(dirs)) {
    const listing = value as Partial<CachedListing> | null;
    if (
      typeof listing === "object" && listing !== null
      && typeof listing.dev === "number" && typeof listing.ino === "number"
      && typeof listing.mtimeMs === "number" && typeof listing.ctimeMs === "number"
      && Array.isArray(listing.names) && listing.names.every((n) => typeof n === "string" && n.startsWith("knit-") && !n.includes("/"))
    ) {
      cache.set(dir, { dev: listing.dev, ino: listing.ino, mtimeMs: listing.mtimeMs, ctimeMs: listing.ctimeMs, names: listing.names });
    }
  }
  return cache;
}

/** At most this many directories are kept: beyond, only those of the PATH just scanned. */
const MAX_CACHED_DIRS = 256;

/**
 * Replaces the cache file (a new file renamed over it, so a reader never sees half of one). A cache
 * folder that cannot be written only means listing PATH at each start, as without a cache.
 */
function writeListingCache(file: string, cache: Map<string, CachedListing>, scanned: Set<string>): void {
  const entries = cache.size <= MAX_CACHED_DIRS
    ? [...cache]
    : [...cache].filter(([, listing]) => scanned.has(`${listing.dev}:${listing.ino}`));
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, JSON.stringify({ dirs: Object.fromEntries(entries) }), { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // never written
    }
  }
}

/**
 * Runs an extension with inherited stdio and the resolved common flags in KNIT_PROFILE,
 * KNIT_PROFILE_STORE and KNIT_ENV. Resolves with knit's exit code: 0, or 1 when the extension failed.
 */
export async function runExtension(extension: Extension, args: string[], io: Io, common: CommonSettings): Promise<number> {
  // Loaded here: only extensions start processes, and the module costs every other command's start.
  const { spawn } = await import("node:child_process");
  return new Promise((resolveExit) => {
    const child = spawn(extension.path, args, {
      cwd: io.cwd,
      stdio: ["inherit", "pipe", "pipe"],
      env: { ...io.env, KNIT_PROFILE: common.profile, KNIT_PROFILE_STORE: common.profileStore, KNIT_ENV: common.env },
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.on("error", (error) => {
      io.stderr.write(`cannot run ${extension.path}: ${error.message}\n`);
      resolveExit(1);
    });
    child.on("close", (code, signal) => {
      if (code === 0) return resolveExit(0);
      io.stderr.write(`exit status ${code ?? signal}\n`);
      resolveExit(1);
    });
  });
}
