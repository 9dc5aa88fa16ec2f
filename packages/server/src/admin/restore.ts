import { createReadStream } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { databaseContents, loadDatabase, migrate, type TableRows } from "@knitfab/db";
import { VERSION } from "../version.js";
import { AdminError, knownSchemaVersion, schemaVersionOf, type AdminConnection } from "./connection.js";
import type { ImageEngine } from "./images.js";
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, CHECKSUMS, INCOMPLETE, JOURNAL, MANIFEST, hashFile, parseChecksums, type BackupManifest } from "./layout.js";
import { formatBytes, type Progress } from "./progress.js";

/** A backup folder that passed every check: complete, undamaged, of this version. */
export interface VerifiedBackup {
  dir: string;
  manifest: BackupManifest;
}

/**
 * Checks a backup folder before anything is touched: it is complete (no INCOMPLETE marker), every
 * file is listed in SHA256SUMS and hashes to it (and nothing listed is missing), the manifest is ours
 * and its knitfab and schema versions are this knitfab's. Throws AdminError saying what is wrong.
 */
export async function verifyBackup(dirArgument: string, progress: Progress): Promise<VerifiedBackup> {
  const dir = resolve(dirArgument);
  const top = await readdir(dir).catch(() => {
    throw new AdminError(`${dir} is not a readable folder`);
  });
  if (top.includes(INCOMPLETE) || top.includes(JOURNAL)) {
    throw new AdminError(`${dir} holds an unfinished backup (it was interrupted); it cannot be restored: finish it, or take a new one`);
  }
  if (!top.includes(CHECKSUMS) || !top.includes(MANIFEST)) throw new AdminError(`${dir} is no knitfab backup (no ${CHECKSUMS} or ${MANIFEST})`);
  let sums: Map<string, string>;
  try {
    sums = parseChecksums(await readFile(join(dir, CHECKSUMS), "utf8"));
  } catch (error) {
    throw new AdminError(`the backup is damaged: ${error instanceof Error ? error.message : String(error)}`);
  }
  const present = (await listFiles(dir)).filter((path) => path !== CHECKSUMS);
  const unlisted = present.filter((path) => !sums.has(path));
  if (unlisted.length > 0) throw new AdminError(`the backup is damaged: ${unlisted.slice(0, 5).join(", ")} not in ${CHECKSUMS}`);
  const missing = [...sums.keys()].filter((path) => !present.includes(path));
  if (missing.length > 0) throw new AdminError(`the backup is damaged: ${missing.slice(0, 5).join(", ")} missing`);
  progress.phase("verifying checksums", present.length);
  for (const path of [...present].sort()) {
    const actual = await hashFile(join(dir, path));
    if (actual.sha256 !== sums.get(path)) throw new AdminError(`the backup is damaged: ${path} does not match its SHA-256 in ${CHECKSUMS}`);
    progress.advance(actual.bytes);
  }
  progress.end();
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT || manifest.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw new AdminError(`${dir} is not a knitfab backup of format ${BACKUP_FORMAT_VERSION}`);
  }
  if (manifest.knitfabVersion !== VERSION) {
    throw new AdminError(`the backup was taken by knitfab ${manifest.knitfabVersion}; restore it with that version (this is ${VERSION})`);
  }
  if (manifest.schemaVersion !== knownSchemaVersion()) {
    throw new AdminError(`the backup's database schema is version ${manifest.schemaVersion}, this knitfab's is ${knownSchemaVersion()}`);
  }
  return { dir, manifest };
}

/** What the restore will do, for the administrator to confirm. */
export function describeRestore(backup: VerifiedBackup, target: string, withImages: boolean): string {
  const { manifest } = backup;
  const rows = (name: string) => manifest.database.tables.find((table) => table.name === name)?.rows ?? 0;
  const images = manifest.images.filter((image) => "file" in image);
  return [
    `Restore the backup in ${backup.dir}`,
    `  taken ${manifest.createdAt} by knitfab ${manifest.knitfabVersion} (schema ${manifest.schemaVersion}, ${manifest.source.database})`,
    `  ${Math.max(0, rows("plan") - 2)} plan(s), ${rows("run")} run(s), ${rows("data")} Data (${manifest.data.count} with content, ${formatBytes(manifest.data.bytes)})`,
    withImages
      ? `  ${images.length} task image(s) loaded into the local container engine`
      : `  task images: not loaded (${images.length} in the backup)`,
    `into ${target}, which must be a fresh installation (no plans, runs or Data).`,
  ].join("\n");
}

export interface RestoreOptions {
  backup: VerifiedBackup;
  connection: AdminConnection;
  images: ImageEngine | undefined;
  progress: Progress;
}

/**
 * Restores a verified backup into an empty installation: Data content into the store, images into the
 * engine, then the database in one transaction. Refuses (changing nothing) a target holding plans,
 * runs or Data; if a later step fails, the Data content it stored is removed again.
 */
export async function restore(options: RestoreOptions): Promise<void> {
  const { backup, connection, progress } = options;
  const version = await checkTarget(connection);
  // A database knitfab never ran on is made current first (a fresh installation).
  if (version === 0) await migrate(connection.database!);

  const stored: string[] = [];
  try {
    progress.phase("data", backup.manifest.data.items.length);
    for (const item of backup.manifest.data.items) {
      await connection.store.receive(item.knitId, createReadStream(join(backup.dir, item.file)));
      stored.push(item.knitId);
      progress.advance(item.bytes);
    }
    if (options.images) {
      const images = backup.manifest.images.filter((image): image is { name: string; file: string; bytes: number } => "file" in image);
      progress.phase("images", images.length);
      for (const image of images) {
        await options.images.load(createReadStream(join(backup.dir, image.file)));
        progress.advance(image.bytes);
      }
    }
    progress.phase("database", backup.manifest.database.tables.length);
    await loadDatabase(connection.database!, tablesOf(backup, () => progress.advance()));
    progress.end();
  } catch (error) {
    progress.end();
    for (const knitId of stored) await connection.store.remove(knitId).catch(() => undefined);
    throw error;
  }
}

/**
 * Refuses, changing nothing, a target that is no fresh installation of this version: a database of
 * another schema version or holding plans, runs or Data, or a data store holding content. Returns
 * the database's schema version (0: knitfab never ran on it).
 */
export async function checkTarget(connection: AdminConnection): Promise<number> {
  const database = connection.database;
  if (!database) throw new AdminError("a restore needs the database to itself; stop the server first");
  const version = await schemaVersionOf(database);
  if (version !== 0 && version !== knownSchemaVersion()) {
    throw new AdminError(`the target database's schema is version ${version}, this knitfab's is ${knownSchemaVersion()}; restore into a fresh installation of this version`);
  }
  if (version !== 0) {
    const contents = await databaseContents(database.db);
    if (contents.plans + contents.runs + contents.data > 0) {
      throw new AdminError(
        `the target is not a fresh installation: its database holds ${contents.plans} plan(s), ${contents.runs} run(s) and ${contents.data} Data; restore only into a fresh one`,
      );
    }
  }
  const content = await connection.store.list();
  if (content.length > 0) throw new AdminError(`the target is not a fresh installation: its data store holds ${content.length} Data's content`);
  return version;
}

/** The backup's tables in order, each read lazily in batches. */
async function* tablesOf(backup: VerifiedBackup, onTable: () => void): AsyncIterable<TableRows> {
  for (const table of backup.manifest.database.tables) {
    yield { table: table.name, batches: batchesOf(join(backup.dir, table.file)) };
    onTable();
  }
}

async function* batchesOf(path: string, size = 500): AsyncIterable<string[]> {
  let batch: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) {
    if (line === "") continue;
    batch.push(line);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Every file under `dir`, relative, with '/' between names. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/"));
}
