import { readFile } from "node:fs/promises";
import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { homedir } from "node:os";

/** Finds the nearest file of this name in `start` or its ancestors. */
export async function findUpwards(start: string, name: string): Promise<string | undefined> {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, name);
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here; look in the parent
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
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

export async function resolveCommonSettings(flags: CommonFlags, cwd: string, env: NodeJS.ProcessEnv): Promise<CommonSettings> {
  const home = env.HOME || homedir();
  let profile = flags.profile;
  if (profile === undefined) {
    const file = await findUpwards(cwd, ".knitprofile");
    const firstLine = file ? (await readFile(file, "utf8")).split(/\r?\n/, 1)[0]?.trim() : undefined;
    profile = firstLine || resolve(cwd);
  }
  const profileStore = resolve(cwd, expandHome(flags.profileStore ?? join(home, ".knit", "profile"), home));
  const envFile = flags.env !== undefined ? resolve(cwd, expandHome(flags.env, home)) : (await findUpwards(cwd, "knitenv")) ?? join(resolve(cwd), "knitenv");
  return { profile, profileStore, env: envFile };
}
