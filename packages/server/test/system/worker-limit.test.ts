import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "@knitfab/db";
import { createTestPostgresDatabase, preparePodman, allFinished, shellPlan } from "@knitfab/testing";
import { spawnServe, stopGently, type ServeProcess, applyPlan, pushData, waitForRuns } from "../../test-support/index.js";

const MAX_WORKERS = 2;
const RUNS = 16;

/**
 * maxWorkers holds across replicas (issue 8 item 7): three processes running every loop against one
 * PostgreSQL, each with four run-management lanes, and a limit of 2. A trigger records, under its own
 * lock, how many runs are starting or running each time one more starts; the counts are exact because
 * every counting transaction sees all that committed before it took the lock.
 */
describe("the worker limit on postgres replicas", () => {
  let home = "";
  let database: Database;
  const replicas: ServeProcess[] = [];

  beforeAll(async () => {
    await preparePodman();
    home = await mkdtemp(join(tmpdir(), "knitfab-limit-"));
    const { url } = await createTestPostgresDatabase();
    database = await openDatabase({ url, poolSize: 2 });
    await sql`CREATE TABLE worker_audit (active int NOT NULL)`.execute(database.db);
    await sql`
      CREATE FUNCTION audit_workers() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(4242);
        INSERT INTO worker_audit (active)
          SELECT count(*) FROM run r JOIN plan p ON p.plan_id = r.plan_id
          WHERE p.image IS NOT NULL AND r.status IN ('starting', 'running');
        RETURN NULL;
      END $$`.execute(database.db);
    await sql`
      CREATE TRIGGER audit_workers AFTER UPDATE OF status ON run FOR EACH ROW
      WHEN (NEW.status IN ('starting', 'running') AND OLD.status NOT IN ('starting', 'running'))
      EXECUTE FUNCTION audit_workers()`.execute(database.db);
    const env = { KNITFAB_MAX_WORKERS: String(MAX_WORKERS), KNITFAB_LOOP_CONCURRENCY: "4" };
    for (let i = 0; i < 3; i++) replicas.push(await spawnServe({ home, databaseUrl: url, env, fastEngine: true }));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => stopGently(replica)));
    await database?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("never has more workers starting or running than the limit", async () => {
    const apiRoot = replicas[0]!.apiRoot;
    // Plan inactive while the Data arrive, so all runs become ready together when it is activated.
    const planId = await applyPlan(apiRoot, {
      ...shellPlan("sleep 1", { inputs: [{ path: "/in", tags: ["limit:seed"] }], log: null }),
      active: false,
    });
    for (let i = 0; i < RUNS; i++) await pushData(replicas[i % 3]!.apiRoot, [{ name: "v", content: `${i}` }], ["limit:seed"]);
    await waitForRuns(apiRoot, planId, (runs) => runs.length === RUNS);
    expect((await fetch(`${apiRoot}/plans/${planId}/active`, { method: "PUT" })).status).toBe(200);

    const runs = await waitForRuns(apiRoot, planId, allFinished(RUNS), 240_000);
    expect(runs.map((run) => run.status)).toEqual(Array(RUNS).fill("done"));
    const audit = await sql<{ starts: number; most: number }>`
      SELECT count(*)::int AS starts, max(active)::int AS most FROM worker_audit`.execute(database.db);
    expect(audit.rows[0]!.starts).toBeGreaterThanOrEqual(RUNS);
    expect(audit.rows[0]!.most).toBe(MAX_WORKERS);
  }, 300_000);
});
