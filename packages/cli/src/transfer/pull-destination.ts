import { randomBytes } from "node:crypto";
import { createWriteStream, type Stats } from "node:fs";
import { lstat, mkdir, readdir, rename, rm, rmdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extractTarGz, type ExtractResult } from "@knitfab/archive";
import { CommandError } from "../cli/errors.js";

/*
 * Where `knit data pull` writes. The rule: never remove or change anything the command did not
 * create, except what the reference also overwrites (DEST/KNIT_ID.tar.gz, and files of the Data
 * already present in DEST/KNIT_ID/). Everything is first written under a hidden name beside the
 * destination and moved into place only once complete, so a failed or interrupted pull takes back
 * exactly what it wrote and leaves the user's files as they were.
 */

/** Saves the archive as `target`, replacing an earlier file of that name (as the reference does) only once complete. */
export async function saveArchive(source: Readable, target: string): Promise<void> {
  const undoFolders = await makeFolders(dirname(target));
  const partial = stagingPath(target);
  try {
    // "wx": the hidden name is new, so nothing of the user's is opened (or followed, if it were a link).
    await pipeline(source, createWriteStream(partial, { flags: "wx", mode: 0o666 }));
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    await undoFolders();
    throw error;
  }
}

/**
 * Extracts the archive into the folder `target`, which may already exist and hold files, as with the
 * reference: missing files and folders are created, files of the Data present there are replaced,
 * other files are left alone. Anything in the way of the Data (a folder where the Data has a file,
 * a file where it has a folder, a symbolic link) is refused before anything is moved.
 */
export async function extractInto(source: Readable, target: string): Promise<ExtractResult> {
  const undoFolders = await makeFolders(dirname(target));
  const staging = stagingPath(target);
  await mkdir(staging);
  let result: ExtractResult;
  try {
    result = await extractTarGz(source, staging);
    await moveInto(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    await undoFolders();
    throw error;
  }
  // What is left: the folders that were merged into existing ones, now empty.
  await rm(staging, { recursive: true, force: true });
  return result;
}

/** A new hidden name beside `target`: on the same file system, so moving it into place is a rename. */
function stagingPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.knit-pull-${randomBytes(6).toString("hex")}`);
}

/** `mkdir -p`; returns what takes back the folders it made (deepest first, each only while empty). */
async function makeFolders(folder: string): Promise<() => Promise<void>> {
  const absolute = resolve(folder);
  const first = await mkdir(absolute, { recursive: true });
  const made: string[] = [];
  if (first !== undefined) {
    for (let current = absolute; current !== dirname(current); current = dirname(current)) {
      made.push(current);
      if (current === resolve(first)) break;
    }
  }
  return async () => {
    for (const path of made) {
      // rmdir removes only an empty folder: whatever someone else put there meanwhile stays.
      if (!(await rmdir(path).then(() => true, () => false))) return;
    }
  };
}

interface Move {
  from: string;
  to: string;
  /** Whether `to` did not exist, so the move creates it (and undoing it removes it). */
  creates: boolean;
}

async function moveInto(staging: string, target: string): Promise<void> {
  const present = await lstatOrAbsent(target);
  if (present === undefined) {
    await rename(staging, target);
    return;
  }
  if (!present.isDirectory()) throw collision(target, [target]);
  const moves: Move[] = [];
  const collisions: string[] = [];
  await planMoves(staging, target, moves, collisions);
  if (collisions.length > 0) throw collision(target, collisions);
  const created: string[] = [];
  try {
    for (const move of moves) {
      await rename(move.from, move.to);
      if (move.creates) created.push(move.to);
    }
  } catch (error) {
    // Replaced files cannot come back (the reference truncates them too); what this pull created goes.
    for (const path of created.reverse()) await rm(path, { recursive: true, force: true });
    throw error;
  }
}

/** Compares the extracted tree with what is in `to`, without changing anything. */
async function planMoves(from: string, to: string, moves: Move[], collisions: string[]): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const destination = join(to, entry.name);
    const present = await lstatOrAbsent(destination);
    if (present === undefined) moves.push({ from: source, to: destination, creates: true });
    else if (entry.isDirectory() && present.isDirectory()) await planMoves(source, destination, moves, collisions);
    else if (entry.isFile() && present.isFile()) moves.push({ from: source, to: destination, creates: false });
    else collisions.push(destination);
  }
}

function collision(target: string, paths: string[]): CommandError {
  const shown = paths.slice(0, 5).map((p) => `  ${p}`).join("\n");
  const more = paths.length > 5 ? `\n  ... and ${paths.length - 5} more` : "";
  return new CommandError(
    `cannot extract into ${target}: these paths are in the way of the Data (a folder where the Data has a file, ` +
      `a file where it has a folder, or a symbolic link); nothing was changed. Move them away or pull into another DEST:\n${shown}${more}`,
  );
}

async function lstatOrAbsent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
