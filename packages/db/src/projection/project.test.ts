import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "kysely";
import { BACKENDS, planSpecOf as spec, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { projectOnce } from "./project.js";

async function projectAll(database: Database): Promise<number> {
  let created = 0;
  for (;;) {
    const result = await projectOnce(database);
    if (!result) return created;
    created += result.created;
  }
}

async function runsOf(database: Database, planId: string): Promise<{ run_id: string; assignment: string; status: string }[]> {
  const rows = await sql<{ run_id: string; assignment: string; status: string }>`
    SELECT r.run_id, string_agg(a.knit_id::text, ',' ORDER BY a.input_id) AS assignment, r.status::text AS status
    FROM run r JOIN assign a ON a.run_id = r.run_id WHERE r.plan_id = ${planId}::uuid GROUP BY r.run_id, r.status`.execute(database.db);
  return rows.rows;
}

describe.each(BACKENDS)("projection on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("creates a run for every combination: 2 datasets × 3 models ⇒ 6 runs, each with fresh outputs", async () => {
    const planId = await registerPlan(database, spec("localhost/eval", [["kind:dataset"], ["kind:model"]]));
    for (let index = 0; index < 2; index++) await uploadTagged(database, ["kind:dataset"]);
    for (let index = 0; index < 3; index++) await uploadTagged(database, ["kind:model"]);
    expect(await projectAll(database)).toBe(6);
    const runs = await runsOf(database, planId);
    expect(runs).toHaveLength(6);
    expect(new Set(runs.map((run) => run.assignment)).size).toBe(6);
    expect(runs.every((run) => run.status === "waiting")).toBe(true);
    const outputs = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM data d JOIN run r ON r.run_id = d.run_id WHERE r.plan_id = ${planId}::uuid`.execute(database.db);
    expect(outputs.rows[0]!.count).toBe(12); // one output and one log per run
    const workers = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM worker w JOIN run r ON r.run_id = w.run_id WHERE r.plan_id = ${planId}::uuid`.execute(database.db);
    expect(workers.rows[0]!.count).toBe(6);
    expect(await projectAll(database)).toBe(0);
  });

  it("never creates the same (plan, assignment) twice, even when asked to (unique constraint)", async () => {
    const planId = await registerPlan(database, spec("localhost/unique", [["u:1"]]));
    await uploadTagged(database, ["u:1"]);
    await projectAll(database);
    const [run] = await runsOf(database, planId);
    const [inputId] = (await sql<{ input_id: number }>`SELECT input_id FROM input WHERE plan_id = ${planId}::uuid`.execute(database.db)).rows;
    await expect(
      sql`INSERT INTO run (plan_id, assignment_key) VALUES (${planId}::uuid, ${`${inputId!.input_id}=${run!.assignment}`})`.execute(database.db),
    ).rejects.toThrow();
    // marking the nomination updated again re-projects nothing new
    await sql`UPDATE nomination SET updated = true WHERE input_id = ${inputId!.input_id}`.execute(database.db);
    expect(await projectAll(database)).toBe(0);
    expect(await runsOf(database, planId)).toHaveLength(1);
  });

  it("creates runs of an inactive plan as deactivated", async () => {
    const planId = await registerPlan(database, { ...spec("localhost/inactive", [["inactive:1"]]), active: false });
    await uploadTagged(database, ["inactive:1"]);
    await projectAll(database);
    expect((await runsOf(database, planId)).map((run) => run.status)).toEqual(["deactivated"]);
  });

  it("property: any arrival order of data yields exactly the cartesian product, once", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        async (sizes, projectBetween) => {
          round++;
          const inputTags = sizes.map((_, index) => [`p${round}:in${index}`]);
          const planId = await registerPlan(database, spec(`localhost/prop${round}`, inputTags));
          let step = 0;
          const perInput = sizes.map(() => [] as string[]);
          // interleave uploads across inputs; sometimes project in between
          const order = sizes.flatMap((size, input) => Array.from({ length: size }, () => input));
          for (const input of order) {
            perInput[input]!.push(await uploadTagged(database, inputTags[input]!));
            if (projectBetween[step++ % projectBetween.length]) await projectAll(database);
          }
          await projectAll(database);
          const runs = await runsOf(database, planId);
          const expected = sizes.reduce((product, size) => product * size, 1);
          expect(runs).toHaveLength(expected);
          expect(new Set(runs.map((run) => run.assignment)).size).toBe(expected);
        },
      ),
      { numRuns: backend === "pglite" ? 8 : 12 },
    );
  });
});
