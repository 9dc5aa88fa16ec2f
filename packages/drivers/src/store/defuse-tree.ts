import type { Stats } from "node:fs";
import { chmod, lstat, readdir, readlink, realpath, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, sep } from "node:path";

/** What was taken out of a folder to make it safe, by relative path. */
export interface DefuseReport {
  /** files and folders whose setuid/setgid bits were cleared */
  privilegeBits: string[];
  /** devices, FIFOs and sockets removed */
  specialFiles: string[];
  /** symbolic links removed because they lead (or could lead) outside the folder */
  outsideLinks: string[];
  /** total size of the regular files kept (the Data's size, for the stored-bytes metric) */
  bytes: number;
}

/** setuid and setgid: a file keeping them runs with its owner's (often root's) rights on the host. */
const PRIVILEGE_BITS = 0o6000;

/**
 * Makes a folder a container wrote safe to keep on the host, as uploads are made safe on extraction:
 * clears setuid/setgid bits, removes device files, FIFOs and sockets, and removes symbolic links that
 * are absolute or resolve (now, or through a target created later) outside the folder. Links are
 * never followed while walking. Call it only once nothing writes into the folder any more.
 */
export async function defuseTree(root: string): Promise<DefuseReport> {
  const report: DefuseReport = { privilegeBits: [], specialFiles: [], outsideLinks: [], bytes: 0 };
  const realRoot = await realpath(root);
  await defuseFolder(root, realRoot, "", report);
  return report;
}

async function defuseFolder(folder: string, realRoot: string, prefix: string, report: DefuseReport): Promise<void> {
  for (const base of (await readdir(folder)).sort()) {
    const absolute = join(folder, base);
    const name = prefix === "" ? base : `${prefix}/${base}`;
    const stats = await lstat(absolute);
    if (stats.isSymbolicLink()) {
      if (!(await linkStaysInside(absolute, realRoot))) {
        await removeHazard(absolute, name);
        report.outsideLinks.push(name);
      }
      continue;
    }
    if (!stats.isFile() && !stats.isDirectory()) {
      await removeHazard(absolute, name);
      report.specialFiles.push(name);
      continue;
    }
    if ((stats.mode & PRIVILEGE_BITS) !== 0) {
      await clearPrivilegeBits(absolute, name, stats);
      report.privilegeBits.push(name);
    }
    if (stats.isDirectory()) await defuseFolder(absolute, realRoot, name, report);
    else report.bytes += stats.size;
  }
}

async function clearPrivilegeBits(absolute: string, name: string, stats: Stats): Promise<void> {
  try {
    await chmod(absolute, stats.mode & 0o7777 & ~PRIVILEGE_BITS);
  } catch (error) {
    // Owned by another user (a rootless engine's mapped uid): the file cannot stay, so it goes.
    if (stats.isDirectory()) throw hazardError(name, error);
    await removeHazard(absolute, name);
  }
}

async function removeHazard(absolute: string, name: string): Promise<void> {
  try {
    await unlink(absolute);
  } catch (error) {
    throw hazardError(name, error);
  }
}

function hazardError(name: string, cause: unknown): Error {
  return new Error(
    `"${name}" in a run's output is unsafe (setuid, special file or outside link) and could not be defused; ` +
      "run knitfab as the user that owns the Data (or root), then the run finishes",
    { cause },
  );
}

/** More links than this on one path is a loop (the kernel's own limit is 40). */
const MAX_LINK_HOPS = 40;

/**
 * Whether a link leads inside `realRoot`, resolved the way the kernel would (each link on the way
 * is read, `..` climbs from where the path really is) without ever leaving the folder on the way;
 * parts that do not exist are taken as plain names, so a dangling link counts by where it points.
 */
async function linkStaysInside(link: string, realRoot: string): Promise<boolean> {
  let current = await realpath(dirname(link));
  const parts = [basename(link)];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      current = dirname(current);
      if (!isInside(current, realRoot)) return false;
      continue;
    }
    const next = join(current, part);
    const stats = await lstat(next).catch(() => undefined);
    if (stats?.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) return false;
      const target = await readlink(next);
      if (isAbsolute(target)) return false;
      parts.unshift(...target.split("/"));
      continue;
    }
    current = next;
  }
  return isInside(current, realRoot);
}
function isInside(path: string, realRoot: string): boolean {
  return path === realRoot || path.startsWith(realRoot + sep);
}
