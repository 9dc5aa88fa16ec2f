import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, uploadTagged, waitingRunOf } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { setRunExit } from "./set-status.js";
import { loadRunSummaries, loadRuns } from "./load-runs.js";

/** loadRuns at the db layer (`GET /api/runs/{runId}`): inputs, outputs, log, exit, order of ids. */
describe.each(BACKENDS)("loading runs on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("gives a run of a plan with its assigned input, its output and its log", async () => {
    const run = await waitingRunOf(database, "localhost/load-runs");
    const [record] = await loadRuns(database.db, [run.runId]);
    expect(record).toMatchObject({ runId: run.runId, status: "waiting", exit: null, plan: { planId: run.planId } });
    expect(record!.inputs).toEqual([{ mountpoint: expect.objectContaining({ path: "/in/0" }), knitId: run.inputKnitId }]);
    expect(record!.outputs.map((output) => output.mountpoint.path)).toEqual(["/out"]);
    expect(record!.log).not.toBeNull();
    expect([record!.outputs[0]!.knitId, record!.log!.knitId].sort()).toEqual(run.outputKnitIds);
  });

  it("gives an upload run with no input, its one output, no log, and its exit once set", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await setRunExit(database.db, root.runId, { code: 3, message: "why" });
    const [record] = await loadRuns(database.db, [root.runId]);
    expect(record).toMatchObject({ status: "running", exit: { code: 3, message: "why" }, plan: { pseudoName: "knit#uploaded" } });
    expect(record!.inputs).toEqual([]);
    expect(record!.outputs.map((output) => output.knitId)).toEqual([root.knitId]);
    expect(record!.log).toBeNull();
  });

  it("keeps the order of the ids asked for, omits unknown and malformed ids, and accepts upper case", async () => {
    const a = (await createRootRun(database, "knit#uploaded", 30)).runId;
    const b = (await createRootRun(database, "knit#imported", 30)).runId;
    const ids = async (asked: string[]) => (await loadRuns(database.db, asked)).map((run) => run.runId);
    expect(await ids([b, a])).toEqual([b, a]);
    expect(await ids([a, "00000000-0000-4000-8000-000000000000", "not-a-uuid", b])).toEqual([a, b]);
    expect(await ids([a.toUpperCase()])).toEqual([a]);
    expect(await ids([])).toEqual([]);
    expect(await ids(["not-a-uuid"])).toEqual([]);
  });

  it("gives summaries keyed by run id, unknown ids left out", async () => {
    await uploadTagged(database, []);
    const root = await createRootRun(database, "knit#uploaded", 30);
    const summaries = await loadRunSummaries(database.db, [root.runId, "00000000-0000-4000-8000-000000000000", "junk"]);
    expect([...summaries.keys()]).toEqual([root.runId]);
    expect(summaries.get(root.runId)).toMatchObject({ runId: root.runId, status: "running", plan: { pseudoName: "knit#uploaded" } });
  });
});
