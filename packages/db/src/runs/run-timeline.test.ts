import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validatePlanSpec } from "@knitfab/domain";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { createRootRun, finishUpload } from "../data/upload.js";
import { changeDataTags } from "../data/change-tags.js";
import { projectOnce } from "../projection/project.js";
import { setRunStatus } from "./set-status.js";
import { retryRun } from "./user-actions.js";
import { loadRunTimeline } from "./run-timeline.js";

const plan = validatePlanSpec({
  image: { repository: "localhost/timeline", tag: "v1" },
  entrypoint: [],
  args: [],
  inputs: [{ path: "/in", tags: [{ key: "kind", value: "timeline" }] }],
  outputs: [{ path: "/out", tags: [] }],
  log: null,
  onNode: [],
  resources: {},
  annotations: [],
  serviceAccount: null,
  active: true,
});

describe.each(BACKENDS)("run timeline on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("records every status a run enters, in order, at the instant the API shows as updatedAt", async () => {
    const planId = await registerPlan(database, plan);
    const upload = await createRootRun(database, "knit#uploaded", 30);
    await finishUpload(database, upload, true);
    await changeDataTags(database, upload.knitId, { add: [{ key: "kind", value: "timeline" }], remove: [], removeKey: [] });
    while (await projectOnce(database));
    const [created] = await loadRunTimeline(database.db, { planIds: [planId], limit: 10 });
    expect(created?.changes.map((c) => c.status)).toEqual(["waiting"]);
    const runId = created?.runId ?? "";
    for (const status of ["ready", "starting", "running", "completing", "done"] as const) await setRunStatus(database.db, runId, status);

    const [finished] = await loadRunTimeline(database.db, { runIds: [runId], limit: 10 });
    expect(finished).toMatchObject({ runId, planId, status: "done" });
    expect(finished?.changes.map((c) => c.status)).toEqual(["waiting", "ready", "starting", "running", "completing", "done"]);
    const times = finished?.changes.map((c) => c.at.getTime()) ?? [];
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.at(-1)).toBe(finished?.updatedAt.getTime());
    expect(finished?.createdAt.getTime()).toBeLessThanOrEqual(times[0] ?? 0);

    // A retry starts a new attempt: the history keeps the first one. (The finishing loop removes the
    // worker row of a finished run; done here by hand, as no loop runs in this test.)
    await sql`DELETE FROM worker WHERE run_id = ${runId}::uuid`.execute(database.db);
    await retryRun(database, runId);
    const [retried] = await loadRunTimeline(database.db, { runIds: [runId], limit: 10 });
    expect(retried?.changes.map((c) => c.status).slice(-2)).toEqual(["done", "waiting"]);

    // The upload's own run is found by id; ids that cannot be runs find nothing.
    expect((await loadRunTimeline(database.db, { runIds: ["not-a-uuid"], limit: 10 }))).toEqual([]);
  });
});
