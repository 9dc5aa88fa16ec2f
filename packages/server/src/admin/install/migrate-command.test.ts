/** `knitfab admin migrate` through the real command line against a real, empty PostgreSQL database. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { loadMigrations } from "@knitfab/db";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../bin/knitfab.ts", import.meta.url));

async function emptyDatabase(): Promise<string> {
  const serverUrl = inject("postgresUrl");
  const name = `knitfab_migrate_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return serverUrl.replace(/\/postgres$/, `/${name}`);
}

const knitfab = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run("npx", ["--no-install", "tsx", BIN, ...args], { env: { ...process.env, ...env } }).then(
    (result) => ({ code: 0, stderr: result.stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );

describe("knitfab admin migrate", () => {
  it("migrates an empty database to the latest version, and again does nothing", async () => {
    const url = await emptyDatabase();
    const latest = loadMigrations().at(-1)?.version;
    const first = await knitfab(["admin", "migrate", "--database-url", url]);
    expect(first).toEqual({ code: 0, stderr: `knitfab: database schema at version ${latest}\n` });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_version");
      expect(rows).toEqual([{ version: latest }]);
    } finally {
      await client.end();
    }
    // the URL by environment, as the chart's Job gives it
    const again = await knitfab(["admin", "migrate"], { KNITFAB_DATABASE_URL: url });
    expect(again.code).toBe(0);
  });

  it("refuses without a database, or with one that is no PostgreSQL URL", async () => {
    const none = await knitfab(["admin", "migrate"], { KNITFAB_DATABASE_URL: "" });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give --database-url");
    const bad = await knitfab(["admin", "migrate", "--database-url", "mysql://x/y"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("must be a postgres:// URL");
  });
});
