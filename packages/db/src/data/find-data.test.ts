import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { validatePlanSpec } from "@knitfab/domain";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { loadMountpoints } from "../plans/load-plans.js";
import { projectOnce } from "../projection/project.js";
import { changeDataTags } from "./change-tags.js";
import { findKnitIds } from "./find-data.js";
import { loadData } from "./load-data.js";
import { createRootRun, finishUpload } from "./upload.js";

const HOUR = 3_600_000;
const tag = (key: string, value: string) => ({ key, value });

describe.each(BACKENDS)("finding and loading Data on %s", (backend) => {
  let database: Database;
  let uploaded: string;
  let output: string;
  let planId: string;

  beforeAll(async () => {
    database = await testDatabase(backend);
    planId = await registerPlan(
      database,
      validatePlanSpec({
        image: { repository: "localhost/find-data", tag: "v1" },
        entrypoint: [],
        args: [],
        inputs: [{ path: "/in", tags: [tag("find", backend)] }],
        outputs: [{ path: "/out", tags: [tag("made", backend)] }],
        log: null,
        onNode: [],
        resources: {},
        annotations: [],
        serviceAccount: null,
        active: true,
      }),
    );
    const root = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, root, true);
    uploaded = root.knitId;
    await changeDataTags(database, uploaded, { add: [tag("find", backend), tag("shape", "square")], remove: [], removeKey: [] });
    // The run it starts has an output Data still being written: no knit#timestamp yet.
    await projectOnce(database);
    const made = await sql<{ knit_id: string }>`
      SELECT d.knit_id FROM data d JOIN run r ON r.run_id = d.run_id WHERE r.plan_id = ${planId}::uuid`.execute(database.db);
    output = made.rows[0]!.knit_id;
  });
  afterAll(async () => {
    await database.close();
  });

  it("finds by every tag at once", async () => {
    expect(await findKnitIds(database.db, { userTags: [tag("find", backend), tag("shape", "square")] })).toEqual([uploaded]);
    expect(await findKnitIds(database.db, { userTags: [tag("find", backend), tag("shape", "round")] })).toEqual([]);
  });

  it("windows Data without a timestamp by their run's last update, and the others by their timestamp", async () => {
    const now = Date.now();
    const around = { since: new Date(now - HOUR), until: new Date(now + HOUR) };
    // The output has no knit#timestamp: its run's updated_at (now) is what counts.
    expect(await findKnitIds(database.db, { userTags: [tag("made", backend)], ...around })).toEqual([output]);
    expect(await findKnitIds(database.db, { userTags: [tag("made", backend)], since: new Date(now + HOUR) })).toEqual([]);
    // A timestamp long ago takes the upload out of today's window whatever its run's updated_at says.
    const longAgo = new Date("2001-02-03T04:05:06.789Z");
    await sql`UPDATE data SET timestamp = ${longAgo} WHERE knit_id = ${uploaded}::uuid`.execute(database.db);
    expect(await findKnitIds(database.db, { userTags: [tag("find", backend)], ...around })).toEqual([]);
    expect(await findKnitIds(database.db, { userTags: [tag("find", backend)], since: new Date(longAgo.getTime() - 1), until: new Date(longAgo.getTime() + 1) })).toEqual([uploaded]);
    expect(await findKnitIds(database.db, { userTags: [], timestamp: longAgo })).toEqual([uploaded]);
  });

  it("loads a Data with its tags, upstream, downstream run and nomination", async () => {
    const [data] = await loadData(database.db, [uploaded]);
    expect(data?.userTags).toEqual([tag("find", backend), tag("shape", "square")]);
    expect(data?.upstream.run.plan.pseudoName).toBe("knit#uploaded");
    expect(data?.upstream.mountpoint.path).toBe("/upload");
    expect(data?.downstreams.map((downstream) => [downstream.run.plan.planId, downstream.mountpoint.path])).toEqual([[planId, "/in"]]);
    expect(data?.nominations.map((nomination) => [nomination.plan.planId, nomination.mountpoint.tags])).toEqual([[planId, [tag("find", backend)]]]);
  });

  it("shares a plan's mountpoints between reads, and nobody can change them in place", async () => {
    const first = await loadMountpoints(database.db, [planId]);
    const second = await loadMountpoints(database.db, [planId]);
    expect(second.inputs.get(planId)).toBe(first.inputs.get(planId));
    expect(first.outputs.get(planId)?.map((mount) => [mount.path, mount.tags, mount.isLog])).toEqual([["/out", [tag("made", backend)], false]]);
    expect(() => first.inputs.get(planId)?.[0]?.tags.push(tag("x", "y"))).toThrow(TypeError);
  });
});
