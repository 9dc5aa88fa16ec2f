import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, plansEquivalent } from "@knitfab/domain";
import { BACKENDS, planSpecOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { loadPlans } from "./load-plans.js";
import { planSpecOfRecord } from "./plan-spec-of-record.js";
import { registerPlan } from "./register-plan.js";

/** registerPlan at the db layer (`POST /api/plans/` is its HTTP face): storage, nomination, refusals. */
describe.each(BACKENDS)("registering plans on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const planCount = async () => (await sql<{ count: number }>`SELECT count(*)::int AS count FROM plan`.execute(database.db)).rows[0]!.count;
  const nominated = async (planId: string) =>
    (
      await sql<{ knit_id: string; updated: boolean }>`
        SELECT n.knit_id, n.updated FROM nomination n JOIN input i ON i.input_id = n.input_id
        WHERE i.plan_id = ${planId}::uuid ORDER BY n.knit_id`.execute(database.db)
    ).rows;

  it("stores the plan as specified", async () => {
    const spec = planSpecOf("localhost/stored", [["stored:in", "stored:also"], ["stored:second"]]);
    const planId = await registerPlan(database, spec);
    const [plan] = await loadPlans(database.db, [planId]);
    expect(plan?.planId).toBe(planId);
    expect(plansEquivalent(planSpecOfRecord(plan!), spec)).toBe(true);
    expect(plansEquivalent(planSpecOfRecord(plan!), planSpecOf("localhost/stored", [["stored:in"], ["stored:second"]]))).toBe(false);
  });

  it("nominates the Data that already match its inputs (all their tags), marked for projection", async () => {
    const matching = await uploadTagged(database, ["nominate:x", "nominate:y"]);
    await uploadTagged(database, ["nominate:x"]);
    const planId = await registerPlan(database, planSpecOf("localhost/nominating", [["nominate:x", "nominate:y"]]));
    expect(await nominated(planId)).toEqual([{ knit_id: matching, updated: true }]);
  });

  it("refuses a plan equivalent to one registered, naming it, and stores nothing", async () => {
    const first = await registerPlan(database, planSpecOf("localhost/twin", [["twin:in"]]));
    const before = await planCount();
    const refusal = await registerPlan(database, planSpecOf("localhost/twin", [["twin:in"]])).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConflictError);
    expect((refusal as ConflictError).details).toEqual({ planId: first });
    expect(await planCount()).toBe(before);
  });

  it("refuses a plan whose output feeds its own input (a cycle), and stores nothing", async () => {
    const before = await planCount();
    // planSpecOf gives the output the tag produced:IMAGE
    const refusal = registerPlan(database, planSpecOf("localhost/cycle", [["produced:localhost/cycle"]]));
    await expect(refusal).rejects.toThrow(ConflictError);
    await expect(refusal).rejects.toThrow(/conflics with others/);
    expect(await planCount()).toBe(before);
  });
});
