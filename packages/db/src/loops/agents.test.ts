import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { beginRead, createRootRun } from "../data/upload.js";
import { hasLiveWriter, hasLiveWriterFor, removeStaleAgents } from "./agents.js";

/** Transfer records at the db layer: a live writer, and the removal of records whose process died. */
describe.each(BACKENDS)("transfer records on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const expire = (name: string, secondsAgo: number) =>
    sql`UPDATE data_agent SET lifecycle_suspend_until = now() - make_interval(secs => ${secondsAgo}) WHERE name = ${name}`.execute(database.db);
  const names = async (knitId: string) =>
    (await sql<{ name: string }>`SELECT name FROM data_agent WHERE knit_id = ${knitId}::uuid ORDER BY name`.execute(database.db)).rows.map((row) => row.name);

  it("sees a live writer by run and by knitId until its record expires", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    expect(await hasLiveWriter(database.db, root.runId)).toBe(true);
    expect(await hasLiveWriterFor(database.db, root.knitId)).toBe(true);
    await expire(root.agentName, 1);
    expect(await hasLiveWriter(database.db, root.runId)).toBe(false);
    expect(await hasLiveWriterFor(database.db, root.knitId)).toBe(false);
    expect(await hasLiveWriterFor(database.db, "not-a-uuid")).toBe(false);
  });

  it("a reader is no writer", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await sql`DELETE FROM data_agent WHERE name = ${root.agentName}`.execute(database.db);
    await beginRead(database, root.knitId);
    expect(await hasLiveWriterFor(database.db, root.knitId)).toBe(false);
    expect(await hasLiveWriter(database.db, root.runId)).toBe(false);
  });

  it("removes write records past their grace and read records past theirs, and nothing else", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    const staleWriter = (await createRootRun(database, "knit#uploaded", 30)).agentName;
    const freshReader = await beginRead(database, root.knitId);
    const staleReader = await beginRead(database, root.knitId);
    await expire(staleWriter, 120);
    await expire(freshReader, 120);
    await expire(staleReader, 7200);
    expect(await removeStaleAgents(database.db, 60_000, 3_600_000)).toBe(2);
    expect(await names(root.knitId)).toEqual([root.agentName, freshReader].sort());
    expect(await removeStaleAgents(database.db, 60_000, 3_600_000)).toBe(0);
  });
});
