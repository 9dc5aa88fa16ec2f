import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
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
 */
export function findExtensions(pathVariable: string | undefined, cwd: string): Extension[] {
  const found = new Map<string, Extension>();
  const scanned = new Set<string>();
  for (const entry of (pathVariable ?? "").split(delimiter)) {
    const dir = resolve(cwd, entry === "" ? "." : entry);
    let names: string[];
    try {
      const { dev, ino } = statSync(dir);
      const identity = `${dev}:${ino}`;
      if (ino !== 0 && scanned.has(identity)) continue; // (a file system without inode numbers: read all)
      scanned.add(identity);
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const file of names.filter((n) => n.startsWith("knit-")).sort()) {
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
  return [...found.values()];
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
