/**
 * The folder a backup writes (README, "Backup and restore"):
 *
 *   DIR/manifest.json              what the backup holds: versions, counts, sizes (BackupManifest)
 *   DIR/database/NN-<table>.jsonl  one JSON object per row, tables parents first
 *   DIR/data/<knitId>.tar.gz       each Data's content, as `knit data pull` receives it
 *   DIR/images/NNN.tar             each task image Plans name, as `docker save` writes it
 *   DIR/SHA256SUMS                 SHA-256 of every other file (`sha256sum -c SHA256SUMS` checks it)
 *   DIR/INCOMPLETE                 present until the backup is complete: such a folder is never restored
 *   DIR/progress.jsonl             files finished so far, so an interrupted backup resumes (removed at the end)
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export const BACKUP_FORMAT = "knitfab-backup";
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST = "manifest.json";
export const CHECKSUMS = "SHA256SUMS";
export const INCOMPLETE = "INCOMPLETE";
export const JOURNAL = "progress.jsonl";

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  /** knitfab version that wrote it; a restore needs the same */
  knitfabVersion: string;
  /** database schema version; a restore needs the same */
  schemaVersion: number;
  createdAt: string;
  source: { database: "pglite" | "postgres" };
  /** the system was frozen while the backup was taken; since when */
  frozenSince: string;
  database: { tables: { name: string; file: string; rows: number }[] };
  data: { count: number; bytes: number; items: { knitId: string; file: string; bytes: number }[] };
  images: ({ name: string; file: string; bytes: number } | { name: string; missing: true })[];
  /** the files the checksums cover (manifest.json included) */
  totals: { files: number; bytes: number };
}

export const tableFile = (index: number, table: string) => `database/${String(index + 1).padStart(2, "0")}-${table}.jsonl`;
export const dataFile = (knitId: string) => `data/${knitId}.tar.gz`;
export const imageFile = (index: number) => `images/${String(index + 1).padStart(3, "0")}.tar`;

export interface WrittenFile {
  sha256: string;
  bytes: number;
}

/** Writes `source` to `path` (through a temporary name, so a file is there only when complete) with its SHA-256. */
export async function writeHashed(path: string, source: Readable | AsyncIterable<string | Buffer>): Promise<WrittenFile> {
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      hash.update(buffer);
      bytes += buffer.length;
      callback(null, buffer);
    },
  });
  const temporary = `${path}.part`;
  await pipeline(source, tap, createWriteStream(temporary, { mode: 0o600 }));
  await rename(temporary, path);
  return { sha256: hash.digest("hex"), bytes };
}

export async function hashFile(path: string): Promise<WrittenFile> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** `sha256sum` format: "<hex>  <relative path>" per line, sorted by path. */
export function formatChecksums(files: ReadonlyMap<string, WrittenFile>): string {
  return [...files.keys()].sort().map((path) => `${files.get(path)!.sha256}  ${path}\n`).join("");
}

export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new Error(`${CHECKSUMS} line ${index + 1} is not "<sha256>  <path>"`);
    sums.set(match[2]!, match[1]!);
  }
  return sums;
}
