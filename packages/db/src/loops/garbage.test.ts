import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun, finishUpload } from "../data/upload.js";
import { claimGarbage, forgetGarbage, isGarbage } from "./garbage.js";

/** The garbage list at the db layer: claimed one at a time under a lease, forgotten once collected, held while frozen. */
describe.each(BACKENDS)("garbage on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  /** A failed upload: its Data becomes garbage. */
  const garbage = async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, false);
    return root.knitId;
  };

  it("claims each garbage Data once while its lease holds, then again once it ran out; forgotten, it is gone", async () => {
    const knitId = await garbage();
    expect(await isGarbage(database.db, knitId)).toBe(true);
    expect(await claimGarbage(database.db, 60_000)).toBe(knitId);
    expect(await claimGarbage(database.db, 60_000)).toBeUndefined();
    await sql`UPDATE garbage SET lifecycle_suspend_until = now() WHERE knit_id = ${knitId}::uuid`.execute(database.db);
    expect(await claimGarbage(database.db, 60_000)).toBe(knitId);
    await forgetGarbage(database.db, knitId);
    expect(await isGarbage(database.db, knitId)).toBe(false);
    await forgetGarbage(database.db, knitId);
    await sql`UPDATE garbage SET lifecycle_suspend_until = now()`.execute(database.db);
    expect(await claimGarbage(database.db, 60_000)).toBeUndefined();
  });

  it("claims nothing while the system is frozen", async () => {
    const knitId = await garbage();
    await sql`INSERT INTO system_freeze (frozen_by) VALUES ('admin')`.execute(database.db);
    try {
      expect(await claimGarbage(database.db, 60_000)).toBeUndefined();
    } finally {
      await sql`DELETE FROM system_freeze`.execute(database.db);
    }
    expect(await claimGarbage(database.db, 60_000)).toBe(knitId);
  });

  it("a Data that is not garbage is not listed", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true);
    expect(await isGarbage(database.db, root.knitId)).toBe(false);
  });
});
