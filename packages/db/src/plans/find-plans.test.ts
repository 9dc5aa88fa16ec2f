import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, planSpecOf, tagOf, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { findPlanIds, type PlanQuery } from "./find-plans.js";
import { registerPlan } from "./register-plan.js";
import { setPlanActive } from "./update-plan.js";

/** findPlanIds at the db layer (`GET /api/plans/`): image, activeness, input and output tags, each condition narrowing. */
describe.each(BACKENDS)("finding plans on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const find = (query: PlanQuery) => findPlanIds(database.db, query);
  const sorted = (ids: string[]) => [...ids].sort();

  it("finds by image repository, and by repository and tag", async () => {
    const one = await registerPlan(database, planSpecOf("localhost/find-image", [["find-image:1"]]));
    const two = await registerPlan(database, { ...planSpecOf("localhost/find-image", [["find-image:2"]]), image: { repository: "localhost/find-image", tag: "v2" } });
    expect(await find({ image: { repository: "localhost/find-image" } })).toEqual(sorted([one, two]));
    expect(await find({ image: { repository: "localhost/find-image", tag: "v2" } })).toEqual([two]);
    expect(await find({ image: { repository: "localhost/find-image", tag: "v9" } })).toEqual([]);
    expect(await find({ image: { repository: "localhost/find" } })).toEqual([]);
  });

  it("finds plans with one input carrying every tag asked for; tags spread over two inputs do not count", async () => {
    const both = await registerPlan(database, planSpecOf("localhost/find-in-both", [["find-in:a", "find-in:b"]]));
    const spread = await registerPlan(database, planSpecOf("localhost/find-in-spread", [["find-in:a"], ["find-in:b"]]));
    expect(await find({ inTags: { userTags: [tagOf("find-in:a")] } })).toEqual(sorted([both, spread]));
    expect(await find({ inTags: { userTags: [tagOf("find-in:a"), tagOf("find-in:b")] } })).toEqual([both]);
    expect(await find({ inTags: { userTags: [tagOf("find-in:none")] } })).toEqual([]);
  });

  it("finds plans by output tags, and combines conditions", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/find-out", [["find-out:in"]]));
    expect(await find({ outTags: [tagOf("produced:localhost/find-out")] })).toEqual([planId]);
    expect(await find({ outTags: [tagOf("produced:localhost/find-out"), tagOf("produced:other")] })).toEqual([]);
    expect(await find({ outTags: [tagOf("produced:localhost/find-out")], inTags: { userTags: [tagOf("find-out:in")] } })).toEqual([planId]);
    expect(await find({ outTags: [tagOf("produced:localhost/find-out")], image: { repository: "localhost/elsewhere" } })).toEqual([]);
  });

  it("finds by activeness; with no condition it finds every plan, ordered by id", async () => {
    const inactive = await registerPlan(database, planSpecOf("localhost/find-active", [["find-active:1"]]));
    const active = await registerPlan(database, planSpecOf("localhost/find-active", [["find-active:2"]]));
    await setPlanActive(database, inactive, false);
    const image = { repository: "localhost/find-active" };
    expect(await find({ image, active: true })).toEqual([active]);
    expect(await find({ image, active: false })).toEqual([inactive]);
    const all = await find({});
    expect(all).toEqual(sorted(all));
    expect(all).toEqual(expect.arrayContaining([inactive, active]));
  });
});
