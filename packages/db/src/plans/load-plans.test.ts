import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, planSpecOf, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { loadPlans, loadPlanSummaries } from "./load-plans.js";
import { registerPlan } from "./register-plan.js";

/** loadPlans at the db layer (`GET /api/plans/{planId}`): full records, their order, and the links between plans. */
describe.each(BACKENDS)("loading plans on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("keeps the order of the ids asked for, omits unknown and malformed ids, and accepts upper case", async () => {
    const a = await registerPlan(database, planSpecOf("localhost/load-order-a", [["load-order:a"]]));
    const b = await registerPlan(database, planSpecOf("localhost/load-order-b", [["load-order:b"]]));
    const ids = async (asked: string[]) => (await loadPlans(database.db, asked)).map((plan) => plan.planId);
    expect(await ids([b, a])).toEqual([b, a]);
    expect(await ids([a, "00000000-0000-4000-8000-000000000000", "not-a-uuid", b])).toEqual([a, b]);
    expect(await ids([b.toUpperCase()])).toEqual([b]);
    expect(await ids([])).toEqual([]);
  });

  it("gives the image, inputs with their tags, the output and the log", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/load-full", [["load-full:x", "load-full:a"], ["load-full:b"]]));
    const [plan] = await loadPlans(database.db, [planId]);
    expect(plan!.image).toEqual({ repository: "localhost/load-full", tag: "v1" });
    expect(plan!.pseudoName).toBeNull();
    expect(plan!.active).toBe(true);
    expect(plan!.inputs.map((input) => [input.path, input.tags.map((tag) => `${tag.key}:${tag.value}`).sort()])).toEqual([
      ["/in/0", ["load-full:a", "load-full:x"]],
      ["/in/1", ["load-full:b"]],
    ]);
    expect(plan!.outputs.map((output) => output.path)).toEqual(["/out"]);
    expect(plan!.log).not.toBeNull();
  });

  it("links an output to the inputs whose tags it all carries, in both directions; a partial match is no link", async () => {
    const upstream = await registerPlan(database, planSpecOf("localhost/load-up", [["load-up:in"]]));
    const downstream = await registerPlan(database, planSpecOf("localhost/load-down", [["produced:localhost/load-up"]]));
    const unlinked = await registerPlan(database, planSpecOf("localhost/load-unlinked", [["produced:localhost/load-up", "load:more"]]));
    const [up, down, none] = await loadPlans(database.db, [upstream, downstream, unlinked]);
    expect(up!.outputs[0]!.downstreams.map((link) => [link.plan.planId, link.mountpoint.path])).toEqual([[downstream, "/in/0"]]);
    expect(down!.inputs[0]!.upstreams.map((link) => [link.plan.planId, link.mountpoint.path, link.isLog])).toEqual([[upstream, "/out", false]]);
    expect(none!.inputs[0]!.upstreams).toEqual([]);
  });

  it("gives summaries of plans, pseudo plans included, keyed by id", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/load-summary", [["load-summary:in"]]));
    const summaries = await loadPlanSummaries(database.db, [planId, "00000000-0000-4000-8000-000000000000"]);
    expect([...summaries.keys()]).toEqual([planId]);
    expect(summaries.get(planId)).toMatchObject({ planId, image: { repository: "localhost/load-summary", tag: "v1" }, pseudoName: null });
  });
});
