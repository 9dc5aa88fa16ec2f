import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { validatePlanSpec } from "@knitfab/domain";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { createRootRun, finishUpload } from "../data/upload.js";
import { changeDataTags } from "../data/change-tags.js";
import { projectOnce } from "../projection/project.js";
import { claimRun } from "../loops/claim.js";
import { setRunStatus } from "../runs/set-status.js";
import { FREEZE_EXIT, beginFreeze, countUnsettledRuns, liftFreeze, readFreeze, stopRunsForFreeze } from "./freeze.js";
import { dumpDatabase, loadDatabase, RestoreTargetNotEmptyError, type TableRows } from "./dump.js";

const claimWaiting = (database: Database) => claimRun(database.db, { statuses: ["waiting"], imageRuns: true, pseudoPlans: [], leaseMs: 0 });
const statusOf = async (database: Database, runId: string) =>
  (await sql<{ status: string }>`SELECT status::text AS status FROM run WHERE run_id = ${runId}::uuid`.execute(database.db)).rows[0]?.status;

/** Every row of a database as dumpDatabase writes it, table by table. */
async function dumped(database: Database): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  let current = "";
  await dumpDatabase(database, {
    table: async (name) => void (tables[(current = name)] = []),
    rows: async (rows) => void tables[current]!.push(...rows),
  });
  return tables;
}

async function* asTables(tables: Record<string, string[]>): AsyncIterable<TableRows> {
  for (const [table, rows] of Object.entries(tables)) {
    yield {
      table,
      batches: (async function* () {
        yield rows;
      })(),
    };
  }
}

describe.each(BACKENDS)("freeze on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database.close();
  });

  it("stops projection and claims while frozen, stops active runs, and lifting retries them", async () => {
    const planId = await registerPlan(
      database,
      validatePlanSpec({
        image: { repository: "localhost/frozen", tag: "v1" },
        entrypoint: [],
        args: [],
        inputs: [{ path: "/in", tags: [{ key: "freeze", value: backend }] }],
        outputs: [{ path: "/out", tags: [] }],
        log: null,
        onNode: [],
        resources: {},
        annotations: [],
        serviceAccount: null,
        active: true,
      }),
    );
    const first = await beginFreeze(database, "admin");
    expect(first.created).toBe(true);
    expect((await beginFreeze(database, "backup")).created).toBe(false);
    expect((await readFreeze(database.db))?.frozenBy).toBe("admin");

    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true);
    await changeDataTags(database, root.knitId, { add: [{ key: "freeze", value: backend }], remove: [], removeKey: [] });
    expect(await projectOnce(database)).toBeUndefined();

    // Lifted: the nomination waiting all along is projected, and the run can be claimed.
    expect((await liftFreeze(database)).lifted).toBe(true);
    expect((await projectOnce(database))?.created).toBe(1);
    const [run] = (await sql<{ run_id: string }>`SELECT run_id FROM run WHERE plan_id = ${planId}::uuid`.execute(database.db)).rows;
    const runId = run!.run_id;

    await beginFreeze(database, "admin");
    expect(await claimWaiting(database)).toBeUndefined();
    await liftFreeze(database);
    expect((await claimWaiting(database))?.runId).toBe(runId);

    // A running run is stopped by the freeze (→ aborting, recorded), and retried when it is lifted.
    await database.db.transaction().execute(async (trx) => {
      await setRunStatus(trx, runId, "ready");
      await setRunStatus(trx, runId, "running");
    });
    await beginFreeze(database, "admin");
    expect(await stopRunsForFreeze(database)).toBe(1);
    expect(await stopRunsForFreeze(database)).toBe(0);
    expect(await statusOf(database, runId)).toBe("aborting");
    expect(await countUnsettledRuns(database.db)).toBe(1);
    const exit = await sql<{ code: number; message: string }>`SELECT code, message FROM run_exit WHERE run_id = ${runId}::uuid`.execute(database.db);
    expect(exit.rows[0]).toEqual({ code: FREEZE_EXIT.code, message: FREEZE_EXIT.message });
    // what the finishing loop does: the run fails and its worker goes
    await database.db.transaction().execute((trx) => setRunStatus(trx, runId, "failed"));
    await sql`DELETE FROM worker WHERE run_id = ${runId}::uuid`.execute(database.db);
    expect(await liftFreeze(database, "backup")).toEqual({ retried: [], skipped: [], lifted: false });
    const lifted = await liftFreeze(database);
    expect(lifted).toEqual({ retried: [runId], skipped: [], lifted: true });
    expect(await statusOf(database, runId)).toBe("waiting");
    expect(await readFreeze(database.db)).toBeUndefined();
  });

  it.each(BACKENDS)("dumps and loads into a fresh %s database with every row identical, and refuses a non-empty one", async (into) => {
    const original = await dumped(database);
    expect(original.run!.length).toBeGreaterThan(0);
    const fresh = await testDatabase(into);
    try {
      await loadDatabase(fresh, asTables(original));
      expect(await dumped(fresh)).toEqual(original);
      await expect(loadDatabase(fresh, asTables(original))).rejects.toThrow(RestoreTargetNotEmptyError);
      expect(await dumped(fresh)).toEqual(original);
    } finally {
      await fresh.close();
    }
  });
});
