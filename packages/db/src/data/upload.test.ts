import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError } from "@knitfab/domain";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { setRunStatus } from "../runs/set-status.js";
import { beginRead, createRootRun, discardRootRun, endImport, endTransfer, finishUpload, renewRootRun } from "./upload.js";

/** Uploads and transfers at the db layer: root runs, their transfer records, and what a failed upload leaves. */
describe.each(BACKENDS)("uploads and transfers on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const one = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(database.db)).rows[0];
  const runOf = (runId: string) =>
    one(sql<{ status: string; suspend: Date; pseudo: string | null }>`
      SELECT r.status::text AS status, r.lifecycle_suspend_until AS suspend, p.pseudo_name AS pseudo
      FROM run r JOIN plan p ON p.plan_id = r.plan_id WHERE r.run_id = ${runId}::uuid`);
  const dataOf = (knitId: string) =>
    one(sql<{ size_bytes: string | number | null; timestamp: Date | null }>`SELECT size_bytes, timestamp FROM data WHERE knit_id = ${knitId}::uuid`);
  const agentsOf = async (knitId: string) =>
    (await sql<{ name: string; mode: string; suspend: Date | null }>`
      SELECT name, mode::text AS mode, lifecycle_suspend_until AS suspend FROM data_agent WHERE knit_id = ${knitId}::uuid ORDER BY name`.execute(database.db)).rows;
  const inGarbage = async (knitId: string) =>
    (await sql`SELECT 1 FROM garbage WHERE knit_id = ${knitId}::uuid`.execute(database.db)).rows.length === 1;

  it("starts a running root run of the pseudo plan, with one Data and a write record", async () => {
    const root = await createRootRun(database, "knit#imported", 30);
    expect(await runOf(root.runId)).toMatchObject({ status: "running", pseudo: "knit#imported" });
    expect(await dataOf(root.knitId)).toMatchObject({ timestamp: null });
    expect(await agentsOf(root.knitId)).toEqual([expect.objectContaining({ name: root.agentName, mode: "write" })]);
    expect(root.agentName).toMatch(new RegExp(`^knitid-${root.knitId}-write-[0-9a-f]{5}$`));
  });

  it("renewing pushes the deadlines of the run and its write record, and leaves an ended run alone", async () => {
    const root = await createRootRun(database, "knit#uploaded", 1);
    const before = (await runOf(root.runId))!.suspend.getTime();
    await renewRootRun(database.db, root, 3600);
    const after = (await runOf(root.runId))!.suspend.getTime();
    expect(after - before).toBeGreaterThan(3000 * 1000);
    expect((await agentsOf(root.knitId))[0]!.suspend!.getTime()).toBeGreaterThan(before + 3000 * 1000);

    await setRunStatus(database.db, root.runId, "aborting");
    const frozen = (await runOf(root.runId))!.suspend.getTime();
    await renewRootRun(database.db, root, 7200);
    expect((await runOf(root.runId))!.suspend.getTime()).toBe(frozen);
  });

  it("a successful upload ends done, stamped, with its size and without its write record", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true, 1234);
    expect(await runOf(root.runId)).toMatchObject({ status: "done" });
    const data = (await dataOf(root.knitId))!;
    expect(Number(data.size_bytes)).toBe(1234);
    expect(data.timestamp).toBeInstanceOf(Date);
    expect(await agentsOf(root.knitId)).toEqual([]);
    expect(await inGarbage(root.knitId)).toBe(false);
  });

  it("a successful upload of unknown size leaves the size unknown", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true);
    expect((await dataOf(root.knitId))!.size_bytes).toBeNull();
  });

  it("finishing an upload twice refuses the second time and changes nothing", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true, 5);
    await expect(finishUpload(database, root, true, 99)).rejects.toThrow();
    expect(Number((await dataOf(root.knitId))!.size_bytes)).toBe(5);
    expect(await runOf(root.runId)).toMatchObject({ status: "done" });
  });

  it("a failed upload leaves nothing visible: run, Data and records gone, content handed to garbage collection", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    const reader = await beginRead(database, root.knitId);
    await finishUpload(database, root, false);
    expect(await runOf(root.runId)).toBeUndefined();
    expect(await dataOf(root.knitId)).toBeUndefined();
    expect(await agentsOf(root.knitId)).toEqual([]);
    expect(await inGarbage(root.knitId)).toBe(true);
    expect(reader).toMatch(/-read-/);
  });

  it("discarding leaves a done upload and its Data alone; an unknown run is a no-op", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true);
    await discardRootRun(database.db, root.runId);
    expect(await runOf(root.runId)).toMatchObject({ status: "done" });
    expect(await dataOf(root.knitId)).toBeDefined();
    expect(await inGarbage(root.knitId)).toBe(false);
    // an unknown run: nothing happens, nothing fails
    await discardRootRun(database.db, "00000000-0000-4000-8000-000000000000");
  });

  it("read transfers are recorded one by one and end by name, leaving the others", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true);
    const first = await beginRead(database, root.knitId);
    const second = await beginRead(database, root.knitId);
    expect(first).not.toBe(second);
    expect((await agentsOf(root.knitId)).map((agent) => agent.mode)).toEqual(["read", "read"]);
    await endTransfer(database, first);
    expect((await agentsOf(root.knitId)).map((agent) => agent.name)).toEqual([second]);
    await endTransfer(database, first);
    expect((await agentsOf(root.knitId)).map((agent) => agent.name)).toEqual([second]);
  });

  it("ending an import moves it to completing and drops its write record; replaying is a no-op; a missing run is a conflict", async () => {
    const root = await createRootRun(database, "knit#imported", 30);
    const reader = await beginRead(database, root.knitId);
    await endImport(database, root.runId, root.knitId);
    expect(await runOf(root.runId)).toMatchObject({ status: "completing" });
    expect((await agentsOf(root.knitId)).map((agent) => agent.name)).toEqual([reader]);
    await endImport(database, root.runId, root.knitId);
    expect(await runOf(root.runId)).toMatchObject({ status: "completing" });
    await expect(endImport(database, "00000000-0000-4000-8000-000000000000", root.knitId)).rejects.toThrow(ConflictError);
  });
});
