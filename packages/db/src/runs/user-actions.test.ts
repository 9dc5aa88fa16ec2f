import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "@knitfab/domain";
import { BACKENDS, testDatabase, uploadTagged, waitingRunOf } from "../test-support/index.js";
import type { Database } from "../database.js";
import { beginRead, createRootRun } from "../data/upload.js";
import { IllegalTransitionError, setRunStatus } from "./set-status.js";
import { abortRun, deleteRun, retryRun, tearoffRun } from "./user-actions.js";

const MISSING = "00000000-0000-4000-8000-000000000000";

/** The user's run actions at the db layer (abort, tearoff, retry, delete; spec/model.md §8.4–8.7), and what each refuses. */
describe.each(BACKENDS)("user actions on runs on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const runOf = async (runId: string) =>
    (
      await sql<{ status: string; code: number | null; message: string | null }>`
        SELECT r.status::text AS status, e.code, e.message FROM run r LEFT JOIN run_exit e ON e.run_id = r.run_id WHERE r.run_id = ${runId}::uuid`.execute(database.db)
    ).rows[0];
  const outputsOf = async (runId: string) =>
    (await sql<{ knit_id: string }>`SELECT knit_id FROM data WHERE run_id = ${runId}::uuid ORDER BY knit_id`.execute(database.db)).rows.map((row) => row.knit_id);
  const inGarbage = async (knitIds: string[]) =>
    (await sql<{ count: number }>`SELECT count(*)::int AS count FROM garbage WHERE knit_id = ANY(${knitIds}::uuid[])`.execute(database.db)).rows[0]!.count;
  const hasWorker = async (runId: string) => (await sql`SELECT 1 FROM worker WHERE run_id = ${runId}::uuid`.execute(database.db)).rows.length > 0;
  /** A run of a plan driven to `done` (or `failed`), its worker gone as the finishing loop would. */
  const finished = async (image: string, end: "done" | "failed" = "done") => {
    const run = await waitingRunOf(database, image);
    for (const status of ["ready", "starting", "running", end === "done" ? "completing" : "aborting", end] as const) await setRunStatus(database.db, run.runId, status);
    await sql`DELETE FROM worker WHERE run_id = ${run.runId}::uuid`.execute(database.db);
    return run;
  };

  it("abort moves a running run to aborting with exit 253; again is a no-op; an ended run refuses", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await abortRun(database, root.runId);
    expect(await runOf(root.runId)).toEqual({ status: "aborting", code: 253, message: "aborted by user" });
    await abortRun(database, root.runId);
    expect((await runOf(root.runId))!.status).toBe("aborting");
    await setRunStatus(database.db, root.runId, "failed");
    await expect(abortRun(database, root.runId)).rejects.toThrow(IllegalTransitionError);
    await expect(abortRun(database, MISSING)).rejects.toThrow(NotFoundError);
  });

  it("tearoff moves a running run to completing with exit 0, and refuses a run that has not started", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await tearoffRun(database, root.runId);
    expect(await runOf(root.runId)).toEqual({ status: "completing", code: 0, message: "stopped by user" });
    const waiting = await waitingRunOf(database, "localhost/tearoff-waiting");
    await expect(tearoffRun(database, waiting.runId)).rejects.toThrow(IllegalTransitionError);
    expect(await runOf(waiting.runId)).toEqual({ status: "waiting", code: null, message: null });
    await expect(tearoffRun(database, "not-a-uuid")).rejects.toThrow(NotFoundError);
  });

  it("retry of a done run: same run and input, new outputs, old ones to garbage, back to waiting with a worker", async () => {
    const run = await finished("localhost/retry-done");
    await retryRun(database, run.runId);
    expect((await runOf(run.runId))!.status).toBe("waiting");
    const fresh = await outputsOf(run.runId);
    expect(fresh).toHaveLength(2);
    expect(fresh.some((knitId) => run.outputKnitIds.includes(knitId))).toBe(false);
    expect(await inGarbage(run.outputKnitIds)).toBe(2);
    expect(await hasWorker(run.runId)).toBe(true);
    const tags = await sql<{ key: string }>`SELECT key FROM data_tag WHERE knit_id = ANY(${fresh}::uuid[])`.execute(database.db);
    expect(tags.rows.map((row) => row.key)).toContain("produced");
  });

  it("retry refuses a run not finished, a root run, a run whose output is being read, a missing run; nothing changes", async () => {
    const waiting = await waitingRunOf(database, "localhost/retry-waiting");
    await expect(retryRun(database, waiting.runId)).rejects.toThrow(ConflictError);
    expect(await outputsOf(waiting.runId)).toEqual(waiting.outputKnitIds);

    const upload = await uploadTagged(database, []);
    const uploadRun = (await sql<{ run_id: string }>`SELECT run_id FROM data WHERE knit_id = ${upload}::uuid`.execute(database.db)).rows[0]!.run_id;
    await expect(retryRun(database, uploadRun)).rejects.toThrow(/Root run cannot be retried|prohibited/);

    const read = await finished("localhost/retry-read");
    await beginRead(database, read.outputKnitIds[0]!);
    await expect(retryRun(database, read.runId)).rejects.toThrow(ConflictError);
    expect(await outputsOf(read.runId)).toEqual(read.outputKnitIds);

    await expect(retryRun(database, MISSING)).rejects.toThrow(NotFoundError);
  });

  it("delete invalidates a finished run with inputs (the combination stays assigned) and removes a root run", async () => {
    const run = await finished("localhost/delete-done", "failed");
    await deleteRun(database, run.runId);
    expect((await runOf(run.runId))!.status).toBe("invalidated");
    expect(await outputsOf(run.runId)).toEqual([]);
    expect(await inGarbage(run.outputKnitIds)).toBe(2);
    expect((await sql`SELECT 1 FROM assign WHERE run_id = ${run.runId}::uuid`.execute(database.db)).rows).toHaveLength(1);
    await expect(deleteRun(database, run.runId)).rejects.toThrow(NotFoundError);
    await expect(retryRun(database, run.runId)).rejects.toThrow(NotFoundError);

    const upload = await uploadTagged(database, []);
    const uploadRun = (await sql<{ run_id: string }>`SELECT run_id FROM data WHERE knit_id = ${upload}::uuid`.execute(database.db)).rows[0]!.run_id;
    await deleteRun(database, uploadRun);
    expect(await runOf(uploadRun)).toBeUndefined();
    expect(await inGarbage([upload])).toBe(1);
  });

  it("delete refuses a run whose output feeds a live run, a run with a worker, and a running upload; nothing changes", async () => {
    const used = await waitingRunOf(database, "localhost/delete-used");
    const usedRun = (await sql<{ run_id: string }>`SELECT run_id FROM data WHERE knit_id = ${used.inputKnitId}::uuid`.execute(database.db)).rows[0]!.run_id;
    await expect(deleteRun(database, usedRun)).rejects.toThrow(/in use/);
    expect(await outputsOf(usedRun)).toEqual([used.inputKnitId]);

    const waiting = await waitingRunOf(database, "localhost/delete-waiting");
    await expect(deleteRun(database, waiting.runId)).rejects.toThrow(ConflictError);
    expect((await runOf(waiting.runId))!.status).toBe("waiting");
    const root = await createRootRun(database, "knit#uploaded", 30);
    await expect(deleteRun(database, root.runId)).rejects.toThrow(ConflictError);
    expect((await runOf(root.runId))!.status).toBe("running");
    expect(await outputsOf(root.runId)).toEqual([root.knitId]);
  });
});
