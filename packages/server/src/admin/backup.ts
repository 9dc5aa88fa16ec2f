import { once } from "node:events";
import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { DUMPED_TABLES } from "@knitfab/db";
import { VERSION } from "../version.js";
import { AdminError, type AdminConnection } from "./connection.js";
import { ImageMissingError, type ImageEngine } from "./images.js";
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  CHECKSUMS,
  INCOMPLETE,
  JOURNAL,
  MANIFEST,
  dataFile,
  formatChecksums,
  hashFile,
  imageFile,
  tableFile,
  writeHashed,
  type BackupManifest,
  type WrittenFile,
} from "./layout.js";
import type { Progress } from "./progress.js";

export interface BackupOptions {
  dir: string;
  connection: AdminConnection;
  backend: "pglite" | "postgres";
  /** the local container engine; undefined (or images: false) backs up no image */
  images: ImageEngine | undefined;
  progress: Progress;
  signal?: AbortSignal;
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  resumed: boolean;
}

/**
 * Freezes the system (unless it is frozen already), writes the database, every Data's content and
 * the task images into DIR (layout.ts), then lifts the freeze it made. DIR must be new, empty, or an
 * unfinished backup (which is resumed: finished Data and image files are kept once their checksum
 * checks). Until the end DIR holds an INCOMPLETE marker, so an interrupted backup is never restored.
 */
export async function backup(options: BackupOptions): Promise<BackupResult> {
  const { connection, progress, signal } = options;
  const dir = resolve(options.dir);
  const resumed = await prepareFolder(dir);
  const journal = resumed ? await readJournal(dir) : new Map<string, WrittenFile>();
  const written = new Map<string, WrittenFile>();
  const record = async (path: string, file: WrittenFile) => {
    written.set(path, file);
    await appendFile(join(dir, JOURNAL), `${JSON.stringify({ path, ...file })}\n`);
  };
  if (resumed) progress.note(`resuming the unfinished backup in ${dir}`);

  progress.phase("freezing the system");
  const outcome = await connection.operations.freeze({ by: "backup", wait: connection.serverMayRun }, (message) => progress.note(message), signal);
  // A freeze an administrator made stays; ours (or an interrupted backup's) is lifted at the end.
  const ownFreeze = outcome.freeze.frozenBy === "backup";
  try {
    if (outcome.unsettledRuns > 0 && connection.serverMayRun) throw new AdminError("interrupted while waiting for runs to end");
    if (outcome.unsettledRuns > 0) {
      progress.note(`no server runs: ${outcome.unsettledRuns} run(s) left active when it stopped are backed up as they are (they go on after a restore)`);
    }
    checkAborted(signal);

    // The database, from one snapshot.
    progress.phase("database", DUMPED_TABLES.length);
    await mkdir(join(dir, "database"), { recursive: true });
    const knitIds: string[] = [];
    const images = new Set<string>();
    const tables: BackupManifest["database"]["tables"] = [];
    let current: { name: string; file: string; out: PassThrough; rows: number; done: Promise<WrittenFile> } | undefined;
    const finishTable = async () => {
      if (!current) return;
      current.out.end();
      const file = await current.done;
      await record(current.file, file);
      tables.push({ name: current.name, file: current.file, rows: current.rows });
      progress.advance(file.bytes);
      current = undefined;
    };
    const summary = await connection.operations.dump({
      table: async (name) => {
        checkAborted(signal);
        await finishTable();
        const index = DUMPED_TABLES.findIndex((table) => table.name === name);
        const file = tableFile(index, name);
        const out = new PassThrough();
        const done = writeHashed(join(dir, file), out);
        done.catch(() => undefined); // awaited in finishTable; a failure must not go unhandled meanwhile
        current = { name, file, out, rows: 0, done };
      },
      rows: async (rows) => {
        if (!current) throw new Error("rows before a table");
        current.rows += rows.length;
        if (current.name === "data") for (const row of rows) knitIds.push(String((JSON.parse(row) as { knit_id: string }).knit_id));
        if (current.name === "plan") {
          for (const row of rows) {
            const plan = JSON.parse(row) as { image: string | null; version: string | null };
            if (plan.image !== null && plan.version !== null) images.add(`${plan.image}:${plan.version}`);
          }
        }
        // wait for the disk when it is slower than the database: memory stays flat
        if (!current.out.write(rows.map((row) => `${row}\n`).join(""))) await once(current.out, "drain");
      },
    });
    await finishTable();

    // Every Data's content, as the store sends it.
    progress.phase("data", knitIds.length);
    await mkdir(join(dir, "data"), { recursive: true });
    const items: BackupManifest["data"]["items"] = [];
    let dataBytes = 0;
    for (const knitId of knitIds) {
      checkAborted(signal);
      if (!(await connection.store.exists(knitId))) {
        progress.advance();
        continue;
      }
      const path = dataFile(knitId);
      const file = (await reuse(dir, path, journal)) ?? (await writeHashed(join(dir, path), (await connection.store.send(knitId)).stream));
      await record(path, file);
      items.push({ knitId, file: path, bytes: file.bytes });
      dataBytes += file.bytes;
      progress.advance(file.bytes);
    }

    // Task images, from the local container engine.
    const imageEntries: BackupManifest["images"] = [];
    const names = [...images].sort();
    progress.phase("images", options.images ? names.length : 0);
    if (!options.images && names.length > 0) progress.note(`${names.length} task image(s) not saved: no container engine (or --no-images)`);
    if (options.images) {
      await mkdir(join(dir, "images"), { recursive: true });
      for (const [index, name] of names.entries()) {
        checkAborted(signal);
        const path = imageFile(index);
        try {
          const file = (await reuse(dir, path, journal)) ?? (await writeHashed(join(dir, path), await options.images.save(name)));
          await record(path, file);
          imageEntries.push({ name, file: path, bytes: file.bytes });
          progress.advance(file.bytes);
        } catch (error) {
          if (!(error instanceof ImageMissingError)) throw error;
          progress.note(`warning: ${error.message}; the backup goes on without it`);
          imageEntries.push({ name, missing: true });
          progress.advance();
        }
      }
    } else for (const name of names) imageEntries.push({ name, missing: true });
    progress.end();

    // The manifest, then the checksums of everything, then the marker goes: complete.
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      knitfabVersion: VERSION,
      schemaVersion: summary.schemaVersion,
      createdAt: new Date().toISOString(),
      source: { database: options.backend },
      frozenSince: outcome.freeze.frozenAt,
      database: { tables },
      data: { count: items.length, bytes: dataBytes, items },
      images: imageEntries,
      totals: { files: 0, bytes: 0 },
    };
    let totalBytes = 0;
    for (const file of written.values()) totalBytes += file.bytes;
    manifest.totals = { files: written.size + 1, bytes: totalBytes };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(join(dir, MANIFEST), manifestText, { mode: 0o600 });
    written.set(MANIFEST, await hashFile(join(dir, MANIFEST)));
    await writeFile(join(dir, CHECKSUMS), formatChecksums(written), { mode: 0o600 });
    await rm(join(dir, JOURNAL), { force: true });
    await rm(join(dir, INCOMPLETE));
    return { dir, manifest, resumed };
  } finally {
    if (ownFreeze) {
      const lifted = await connection.operations.unfreeze("backup");
      if (lifted.retried.length > 0) progress.note(`unfrozen; ${lifted.retried.length} run(s) stopped by the freeze are retried`);
    }
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AdminError("interrupted; the backup folder is marked INCOMPLETE (run the same backup again to resume)");
}

/**
 * Makes DIR ready: creates it (or takes it empty), or recognises an unfinished backup to resume.
 * Anything else is refused: a backup writes only into a folder of its own.
 */
async function prepareFolder(dir: string): Promise<boolean> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    if (error.code === "ENOTDIR") throw new AdminError(`${dir} is not a folder`);
    throw error;
  });
  if (entries === undefined || entries.length === 0) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, INCOMPLETE), "this knitfab backup is not complete: it cannot be restored; run the same backup again to finish it\n");
    return false;
  }
  if (entries.includes(INCOMPLETE)) return true;
  if (entries.includes(CHECKSUMS) && entries.includes(MANIFEST)) {
    throw new AdminError(`${dir} already holds a complete backup; give a new or empty folder`);
  }
  throw new AdminError(`${dir} is not empty and is no unfinished backup; give a new or empty folder (a backup writes only into its own)`);
}

async function readJournal(dir: string): Promise<Map<string, WrittenFile>> {
  const journal = new Map<string, WrittenFile>();
  const text = await readFile(join(dir, JOURNAL), "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    try {
      const entry = JSON.parse(line) as { path: string } & WrittenFile;
      journal.set(entry.path, { sha256: entry.sha256, bytes: entry.bytes });
    } catch {
      // a line cut by the interruption: that file is written again
    }
  }
  return journal;
}

/** A file a previous attempt finished, kept when its bytes still hash to what was recorded. */
async function reuse(dir: string, path: string, journal: ReadonlyMap<string, WrittenFile>): Promise<WrittenFile | undefined> {
  const recorded = journal.get(path);
  if (!recorded) return undefined;
  const present = await stat(join(dir, path)).catch(() => undefined);
  if (!present || present.size !== recorded.bytes) return undefined;
  const actual = await hashFile(join(dir, path));
  return actual.sha256 === recorded.sha256 ? actual : undefined;
}
