import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgresDatabase, callJson, IMAGE, preparePodman, type Json } from "@knitfab/testing";
import { startEngineServer, type EngineServer } from "../../test-support/index.js";
import type { Backend } from "@knitfab/db";
import { backup } from "../../src/admin/backup.js";
import { openAdminConnection, type AdminTarget } from "../../src/admin/connection.js";
import { localImageEngine } from "../../src/admin/images.js";
import { SILENT_PROGRESS } from "../../src/admin/progress.js";
import { restore, verifyBackup } from "../../src/admin/restore.js";
import { CHECKSUMS, INCOMPLETE, MANIFEST, type BackupManifest } from "../../src/admin/layout.js";
import { finishedPipeline, snapshot } from "./support.js";

const BIN = fileURLToPath(new URL("../../bin/knitfab.js", import.meta.url));

/** A fresh installation of `backend`: a new home, and on PostgreSQL a new (migrated) database. */
async function freshTarget(backend: Backend): Promise<AdminTarget> {
  const home = await mkdtemp(join(tmpdir(), "knitfab-restored-"));
  return { home, databaseUrl: backend === "postgres" ? (await createTestPostgresDatabase()).url : undefined };
}

async function takeBackup(target: AdminTarget, dir: string): Promise<BackupManifest> {
  const connection = await openAdminConnection(target);
  try {
    const result = await backup({
      dir,
      connection,
      backend: target.databaseUrl ? "postgres" : "pglite",
      images: localImageEngine(),
      progress: SILENT_PROGRESS,
    });
    return result.manifest;
  } finally {
    await connection.close();
  }
}

async function restoreInto(target: AdminTarget, dir: string): Promise<void> {
  const verified = await verifyBackup(dir, SILENT_PROGRESS);
  const connection = await openAdminConnection(target, { direct: true, create: true });
  try {
    await restore({ backup: verified, connection, images: localImageEngine(), progress: SILENT_PROGRESS });
  } finally {
    await connection.close();
  }
}

/** The `knitfab` binary (built), with stdin closed like a script's. */
function knitfab(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, KNITFAB_HOME: "" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

describe.each(["pglite", "postgres"] as const)("backup of a %s installation", (source) => {
  let server: EngineServer;
  let target: AdminTarget;
  let original: Json;
  let manifest: BackupManifest;
  const backups = mkdtemp(join(tmpdir(), "knitfab-backups-"));
  const dir = backups.then((root) => join(root, "full"));

  beforeAll(async () => {
    await preparePodman();
    target = await freshTarget(source);
    server = await startEngineServer(source, { home: target.home, ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : {}) });
    await finishedPipeline(server.apiRoot);
    original = await snapshot(server.apiRoot);
    manifest = await takeBackup(target, await dir);
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await rm(target.home, { recursive: true, force: true });
    await rm(await backups, { recursive: true, force: true });
  });

  it("writes the documented layout: manifest, tables, Data, images, checksums, no INCOMPLETE marker", async () => {
    const files = await listTree(await dir);
    expect(files).toContain(MANIFEST);
    expect(files).toContain(CHECKSUMS);
    expect(files).not.toContain(INCOMPLETE);
    expect(files).toContain("database/01-plan.jsonl");
    expect(manifest.schemaVersion).toBeGreaterThanOrEqual(5);
    expect(manifest.source.database).toBe(source);
    // 1 upload + 2 outputs + 2 logs
    expect(manifest.data.count).toBe(5);
    expect(manifest.database.tables.find((table) => table.name === "run")?.rows).toBe(3);
    expect(manifest.images).toEqual([expect.objectContaining({ name: IMAGE, file: "images/001.tar" })]);
    const sums = await readFile(join(await dir, CHECKSUMS), "utf8");
    for (const file of files.filter((path) => path.includes(".") && path !== CHECKSUMS)) expect(sums).toContain(`  ${file}\n`);
    // the backup's own freeze is lifted afterwards: writes work again
    const write = await callJson(`${server.apiRoot}/plans/`, { method: "POST", body: {} });
    expect(write.status).not.toBe(503);
  });

  it.each(["pglite", "postgres"] as const)("restores into a fresh %s installation with identical lineage and Data", async (into) => {
    const fresh = await freshTarget(into);
    await restoreInto(fresh, await dir);
    const restored = await startEngineServer(into, { home: fresh.home, ...(fresh.databaseUrl ? { databaseUrl: fresh.databaseUrl } : {}) });
    try {
      expect(await snapshot(restored.apiRoot)).toEqual(original);
    } finally {
      await restored.stop();
      await rm(fresh.home, { recursive: true, force: true });
    }
  }, 240_000);

  it("refuses a damaged backup (one flipped byte) and leaves the target untouched", async () => {
    const damaged = join(await backups, "damaged");
    await cp(await dir, damaged, { recursive: true });
    const item = manifest.data.items[0]!;
    const bytes = await readFile(join(damaged, item.file));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(join(damaged, item.file), bytes);
    const home = join(await backups, "target-home");
    const result = await knitfab(["admin", "restore", damaged, "--home", home, "--yes"]);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`${item.file} does not match its SHA-256`);
    expect(await listTree(home)).toEqual([]);
  }, 120_000);

  it("refuses an unfinished backup, a target that is not fresh, and asking without a terminal", async () => {
    const unfinished = join(await backups, "unfinished");
    await cp(await dir, unfinished, { recursive: true });
    await writeFile(join(unfinished, INCOMPLETE), "");
    await expect(verifyBackup(unfinished, SILENT_PROGRESS)).rejects.toThrow(/unfinished backup/);

    // the source itself holds plans, runs and Data (its server stopped for the embedded database)
    const before = await snapshot(server.apiRoot);
    if (source === "pglite") await server.stop();
    const args = ["admin", "restore", await dir, "--home", target.home, ...(target.databaseUrl ? ["--database-url", target.databaseUrl] : [])];
    const refused = await knitfab([...args, "--yes", "--no-images"]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("not a fresh installation");
    const asked = await knitfab([...args, "--no-images"]);
    expect(asked.code).toBe(1);
    if (source === "pglite") server = await startEngineServer(source, { home: target.home });
    expect(await snapshot(server.apiRoot)).toEqual(before);

    const fresh = await freshTarget("pglite");
    const noTerminal = await knitfab(["admin", "restore", await dir, "--home", fresh.home, "--no-images"]);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.output).toContain("pass --yes");
    await rm(fresh.home, { recursive: true, force: true });
  }, 240_000);

  it("marks an interrupted backup INCOMPLETE, lifts its freeze, and resumes it when run again", async () => {
    const folder = join(await backups, "interrupted");
    const abort = new AbortController();
    const connection = await openAdminConnection(target);
    try {
      const interrupted = backup({
        dir: folder,
        connection,
        backend: source,
        images: localImageEngine(),
        // interrupted once the database is written, as Ctrl-C would
        progress: { ...SILENT_PROGRESS, phase: (name) => (name === "data" ? abort.abort() : undefined) },
        signal: abort.signal,
      });
      await expect(interrupted).rejects.toThrow(/interrupted/);
      expect(await listTree(folder)).toContain(INCOMPLETE);
      expect((await connection.operations.status()).freeze).toBeUndefined();
      await expect(verifyBackup(folder, SILENT_PROGRESS)).rejects.toThrow(/unfinished backup/);
      const resumed = await backup({ dir: folder, connection, backend: source, images: localImageEngine(), progress: SILENT_PROGRESS });
      expect(resumed.resumed).toBe(true);
      expect((await verifyBackup(folder, SILENT_PROGRESS)).manifest.data.count).toBe(manifest.data.count);
    } finally {
      await connection.close();
    }
  }, 120_000);

  it("refuses to write into a folder that is not its own", async () => {
    const occupied = join(await backups, "occupied");
    await cp(await dir, join(occupied, "something"), { recursive: true });
    await expect(takeBackup(target, occupied)).rejects.toThrow(/not empty/);
    await expect(takeBackup(target, await dir)).rejects.toThrow(/already holds a complete backup/);
  });
});
