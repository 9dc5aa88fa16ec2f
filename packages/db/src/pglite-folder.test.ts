import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";

const root = mkdtempSync(join(tmpdir(), "knitfab-pglite-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the embedded database folder", () => {
  it("is created on first open (initdb in a child process), with our settings, and opens again", async () => {
    const dataDir = join(root, "fresh", "db");
    mkdirSync(join(root, "fresh"));
    // A staging folder left by a start that died during initdb is cleared away.
    mkdirSync(join(root, "fresh", ".db.initdb-12345"));
    const first = await openDatabase({ dataDir });
    const { rows } = await sql<{ setting: string }>`SELECT current_setting('shared_buffers') AS setting`.execute(first.db);
    expect(rows[0]?.setting).toBe("32MB");
    await sql`CREATE TABLE kept (value text)`.execute(first.db);
    await sql`INSERT INTO kept VALUES ('still here')`.execute(first.db);
    await first.close();
    expect(readdirSync(join(root, "fresh")).sort()).toEqual(["db"]);

    const second = await openDatabase({ dataDir });
    const again = await sql<{ value: string }>`SELECT value FROM kept`.execute(second.db);
    expect(again.rows).toEqual([{ value: "still here" }]);
    await second.close();
  });

  it("refuses a folder that holds other files, and leaves them alone", async () => {
    const dataDir = join(root, "occupied");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "notes.txt"), "mine");
    await expect(openDatabase({ dataDir })).rejects.toThrow(/holds files but no database/);
    expect(readdirSync(dataDir)).toEqual(["notes.txt"]);
    expect(readFileSync(join(dataDir, "notes.txt"), "utf8")).toBe("mine");
  });
});
