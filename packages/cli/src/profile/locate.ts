import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { homedir } from "node:os";

// Synchronous file access: these few look-ups run before every command, and the first asynchronous
// one would start libuv's thread pool, which costs more than all of them together.

/** Finds the nearest file of this name in `start` or its ancestors. */
export function findUpwards(start: string, name: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, name);
    if (isFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // missing, or not reachable: not here
  }
}

/** The values of the common flags after applying the reference's defaults (cli.md §2.2). */
export interface CommonSettings {
  profile: string;
  profileStore: string;
  env: string;
}

export interface CommonFlags {
  profile?: string;
  profileStore?: string;
  env?: string;
}

export function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}

export function resolveCommonSettings(flags: CommonFlags, cwd: string, env: NodeJS.ProcessEnv): CommonSettings {
  const home = env.HOME || homedir();
  let profile = flags.profile;
  if (profile === undefined) {
    const file = findUpwards(cwd, ".knitprofile");
    const firstLine = file ? readFileSync(file, "utf8").split(/\r?\n/, 1)[0]?.trim() : undefined;
    profile = firstLine || resolve(cwd);
  }
  const profileStore = resolve(cwd, expandHome(flags.profileStore ?? join(home, ".knit", "profile"), home));
  const envFile = flags.env !== undefined ? resolve(cwd, expandHome(flags.env, home)) : findUpwards(cwd, "knitenv") ?? join(resolve(cwd), "knitenv");
  return { profile, profileStore, env: envFile };
}
