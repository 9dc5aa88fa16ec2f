import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CommandError } from "../cli/errors.js";
import { parsePlainYamlMap } from "./plain-yaml.js";
import { verifyProfile, type Profile } from "./profile.js";

/** The profile store: profile name → profile, a YAML file (default `~/.knit/profile`). */
export type ProfileStore = Record<string, Profile>;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/** Loads the store; `undefined` when the file does not exist. */
export async function loadProfileStore(path: string): Promise<ProfileStore | undefined> {
  let text: string;
  try {
    // Synchronously, like the other look-ups before a request (see locate.ts): every command that
    // talks to the server reads this small file first.
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new CommandError(`cannot read the profile store ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown = parsePlainYamlMap(text);
  try {
    // The yaml package only for a store of another shape: loading it costs more than the request.
    if (parsed === undefined) parsed = (await import("yaml")).parse(text);
  } catch (error) {
    throw new CommandError(`the profile store ${path} is not valid YAML (${(error as Error).message}); fix it or remove it and run 'knit init' again`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CommandError(`the profile store ${path} must be a YAML map of profile name to profile; fix it or remove it and run 'knit init' again`);
  }
  const store: ProfileStore = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    store[name] = verifyProfile(value, `profile '${name}' in ${path}`);
  }
  return store;
}

/** Reads a knitprofile handed out by the administrator (`knit init`). */
export async function readKnitProfile(path: string): Promise<Profile> {
  const [{ readFile }, { parse }] = await Promise.all([import("node:fs/promises"), import("yaml")]);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CommandError(`cannot read the knitprofile ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new CommandError(`the knitprofile ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return verifyProfile(parsed, `knitprofile ${path}`);
}

/**
 * Saves the store with mode 0600 in a 0700 folder. The previous content is kept in `<store>.backup`
 * while writing, so a crash mid-write leaves a copy to restore from.
 */
export async function saveProfileStore(path: string, store: ProfileStore): Promise<void> {
  // Only `knit init` saves: these load for it alone, not for every command that reads the store.
  const [{ chmod, copyFile, mkdir, rm, writeFile }, { stringify }] = await Promise.all([import("node:fs/promises"), import("yaml")]);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const backup = `${path}.backup`;
  let backedUp = false;
  try {
    await copyFile(path, backup);
    backedUp = true;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  await writeFile(path, stringify(store), { mode: 0o600 });
  await chmod(path, 0o600);
  if (backedUp) await rm(backup, { force: true });
}
