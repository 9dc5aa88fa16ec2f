/** `knitfab admin migrate` through its commander program (in this process) against a real, empty PostgreSQL database. */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { loadMigrations } from "@knitfab/db";
import { runAdmin } from "./cli-testing.js";


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

const knitfab = async (args: string[], env: Record<string, string> = {}) => {
  const { code, stderr } = await runAdmin(args.slice(1), env);
  return { code, stderr };
};

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
