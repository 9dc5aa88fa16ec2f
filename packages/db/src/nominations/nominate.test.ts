import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, planSpecOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { registerPlan } from "../plans/register-plan.js";
import { nominateData, nominateInputs } from "./nominate.js";

/** Nomination at the db layer (spec/model.md §6): which Data an input is offered, added and withdrawn, flags kept. */
describe.each(BACKENDS)("nominating Data on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const inputOf = async (planId: string) =>
    (await sql<{ input_id: number }>`SELECT input_id FROM input WHERE plan_id = ${planId}::uuid ORDER BY path`.execute(database.db)).rows[0]!.input_id;
  const nominationsOf = async (inputId: number) =>
    (await sql<{ knit_id: string; updated: boolean }>`SELECT knit_id, updated FROM nomination WHERE input_id = ${inputId} ORDER BY knit_id`.execute(database.db)).rows;
  const tag = (knitId: string, text: string) => {
    const [key, value] = text.split(":");
    return sql`INSERT INTO data_tag (knit_id, key, value) VALUES (${knitId}::uuid, ${key}, ${value})`.execute(database.db);
  };

  it("nominates Data carrying every tag of the input, marked updated, once however often asked", async () => {
    const inputId = await inputOf(await registerPlan(database, planSpecOf("localhost/nominate-data", [["nom:a", "nom:b"]])));
    const knitId = await uploadTagged(database, ["nom:a"]);
    expect(await nominateData(database.db, [knitId])).toBe(0);
    await tag(knitId, "nom:b");
    expect(await nominateData(database.db, [knitId, knitId])).toBe(1);
    expect(await nominateData(database.db, [knitId])).toBe(0);
    expect(await nominationsOf(inputId)).toEqual([{ knit_id: knitId, updated: true }]);
  });

  it("keeps the flag of a nomination that still matches, and withdraws one that no longer does", async () => {
    const inputId = await inputOf(await registerPlan(database, planSpecOf("localhost/nominate-keep", [["keep:x"]])));
    const kept = await uploadTagged(database, ["keep:x"]);
    const dropped = await uploadTagged(database, ["keep:x"]);
    await sql`UPDATE nomination SET updated = false WHERE input_id = ${inputId}`.execute(database.db);
    await sql`DELETE FROM data_tag WHERE knit_id = ${dropped}::uuid`.execute(database.db);
    await nominateData(database.db, [kept, dropped]);
    expect(await nominationsOf(inputId)).toEqual([{ knit_id: kept, updated: false }]);
  });

  it("does not nominate Data whose run is not done", async () => {
    const inputId = await inputOf(await registerPlan(database, planSpecOf("localhost/nominate-running", [["running:x"]])));
    const root = await createRootRun(database, "knit#uploaded", 30);
    await tag(root.knitId, "running:x");
    expect(await nominateData(database.db, [root.knitId])).toBe(0);
    expect(await nominationsOf(inputId)).toEqual([]);
    expect(await nominateData(database.db, [])).toBe(0);
  });

  it("nominates for new inputs every Data that matches, and only those", async () => {
    const both = await uploadTagged(database, ["inputs:a", "inputs:b"]);
    await uploadTagged(database, ["inputs:a"]);
    const planId = await registerPlan(database, planSpecOf("localhost/nominate-inputs", [["inputs:a", "inputs:b"]]));
    const inputId = await inputOf(planId);
    await sql`DELETE FROM nomination WHERE input_id = ${inputId}`.execute(database.db);
    expect(await nominateInputs(database.db, [inputId])).toBe(1);
    expect(await nominateInputs(database.db, [inputId])).toBe(0);
    expect(await nominationsOf(inputId)).toEqual([{ knit_id: both, updated: true }]);
    expect(await nominateInputs(database.db, [])).toBe(0);
  });

  it("an input pinned to a knit id is offered that Data alone", async () => {
    const pinned = await uploadTagged(database, []);
    await uploadTagged(database, []);
    const planId = await registerPlan(database, planSpecOf("localhost/nominate-pin", [[`knit#id:${pinned}`]]));
    expect(await nominationsOf(await inputOf(planId))).toEqual([{ knit_id: pinned, updated: true }]);
  });
});
