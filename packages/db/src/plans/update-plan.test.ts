import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError } from "@knitfab/domain";
import { BACKENDS, planSpecOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { projectOnce } from "../projection/project.js";
import { loadPlans } from "./load-plans.js";
import { registerPlan } from "./register-plan.js";
import { changePlanAnnotations, changePlanResources, setPlanActive, setPlanServiceAccount } from "./update-plan.js";

const MISSING = "00000000-0000-4000-8000-000000000000";

/** The plan changes at the db layer (`PUT /api/plans/{planId}/...`): activeness and its runs, resources, annotations, service account. */
describe.each(BACKENDS)("changing plans on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const planOf = async (planId: string) => (await loadPlans(database.db, [planId]))[0]!;
  const statusesOf = async (planId: string) =>
    (await sql<{ status: string }>`SELECT status::text AS status FROM run WHERE plan_id = ${planId}::uuid ORDER BY status`.execute(database.db)).rows.map((row) => row.status);
  const pseudoPlan = async () => (await sql<{ plan_id: string }>`SELECT plan_id FROM plan WHERE pseudo_name = 'knit#uploaded'`.execute(database.db)).rows[0]!.plan_id;

  it("deactivating parks the waiting runs, activating lets them wait again; a run already running is untouched", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/update-active", [["update-active:in"]]));
    await uploadTagged(database, ["update-active:in"]);
    await uploadTagged(database, ["update-active:in"]);
    while (await projectOnce(database));
    expect(await statusesOf(planId)).toEqual(["waiting", "waiting"]);
    await sql`UPDATE run SET status = 'running' WHERE run_id = (SELECT run_id FROM run WHERE plan_id = ${planId}::uuid LIMIT 1)`.execute(database.db);

    await setPlanActive(database, planId, false);
    expect((await planOf(planId)).active).toBe(false);
    expect(await statusesOf(planId)).toEqual(["deactivated", "running"]);
    await setPlanActive(database, planId, false);
    expect(await statusesOf(planId)).toEqual(["deactivated", "running"]);

    await setPlanActive(database, planId, true);
    expect((await planOf(planId)).active).toBe(true);
    expect(await statusesOf(planId)).toEqual(["running", "waiting"]);
  });

  it("refuses to (de)activate a pseudo plan or a missing one, as not found", async () => {
    const pseudo = await pseudoPlan();
    await expect(setPlanActive(database, pseudo, false)).rejects.toThrow(NotFoundError);
    await expect(setPlanActive(database, MISSING, false)).rejects.toThrow(NotFoundError);
    await expect(setPlanActive(database, "not-a-uuid", true)).rejects.toThrow(NotFoundError);
    expect((await sql<{ active: boolean }>`SELECT active FROM plan WHERE plan_id = ${pseudo}::uuid`.execute(database.db)).rows[0]!.active).toBe(true);
  });

  it("sets resources, overwriting a type, then unsets; a type both set and unset ends unset", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/update-resources", [["update-resources:in"]]));
    await changePlanResources(database, planId, { set: { cpu: "1", memory: "1Gi" }, unset: [] });
    await changePlanResources(database, planId, { set: { cpu: "2", gpu: "1" }, unset: ["gpu", "not-set"] });
    expect((await planOf(planId)).resources).toEqual({ cpu: "2", memory: "1Gi" });
  });

  it("changes annotations: remove_key, then remove, then add, duplicates ignored", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/update-annotations", [["update-annotations:in"]]));
    await changePlanAnnotations(database, planId, { add: [{ key: "a", value: "1" }, { key: "a", value: "2" }, { key: "b", value: "1" }], remove: [], removeKey: [] });
    await changePlanAnnotations(database, planId, {
      add: [{ key: "a", value: "new" }, { key: "b", value: "1" }, { key: "b", value: "1" }],
      remove: [{ key: "b", value: "1" }],
      removeKey: ["a"],
    });
    const annotations = (await planOf(planId)).annotations.map((annotation) => `${annotation.key}=${annotation.value}`).sort();
    expect(annotations).toEqual(["a=new", "b=1"]);
  });

  it("sets and clears the service account", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/update-account", [["update-account:in"]]));
    await setPlanServiceAccount(database, planId, "builder");
    expect((await planOf(planId)).serviceAccount).toBe("builder");
    await setPlanServiceAccount(database, planId, null);
    expect((await planOf(planId)).serviceAccount).toBeNull();
  });

  it("resources, annotations and service account say not found for a missing plan", async () => {
    await expect(changePlanResources(database, MISSING, { set: { cpu: "1" }, unset: [] })).rejects.toThrow(NotFoundError);
    await expect(changePlanAnnotations(database, "not-a-uuid", { add: [{ key: "a", value: "1" }], remove: [], removeKey: [] })).rejects.toThrow(NotFoundError);
    await expect(setPlanServiceAccount(database, MISSING, "x")).rejects.toThrow(NotFoundError);
    expect((await sql`SELECT 1 FROM plan_resource WHERE plan_id = ${MISSING}::uuid`.execute(database.db)).rows).toEqual([]);
  });
});
