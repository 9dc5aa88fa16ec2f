import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, waitingRunOf } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { setRunStatus } from "../runs/set-status.js";
import { claimRun, releaseWorkerSlot, suspendRun, wakeRun, type RunClaimFilter } from "./claim.js";

const IMAGE_WAITING: RunClaimFilter = { statuses: ["waiting"], imageRuns: true, pseudoPlans: [], leaseMs: 60_000 };

/** Claiming runs at the db layer: which run is due, leases, worker slots, a frozen system; suspending and waking. */
describe.each(BACKENDS)("claiming runs on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });
  // every test starts with no run due, so what it claims is what it made
  beforeEach(async () => {
    await sql`UPDATE run SET lifecycle_suspend_until = now() + interval '1 day'`.execute(database.db);
  });

  const dueNow = (runId: string, secondsAgo = 0) =>
    sql`UPDATE run SET lifecycle_suspend_until = now() - make_interval(secs => ${secondsAgo}) WHERE run_id = ${runId}::uuid`.execute(database.db);

  it("claims the run due longest ago, then not again while its lease holds", async () => {
    const later = await waitingRunOf(database, "localhost/claim-later");
    const first = await waitingRunOf(database, "localhost/claim-first");
    await dueNow(later.runId, 1);
    await dueNow(first.runId, 10);
    const claimed = await claimRun(database.db, IMAGE_WAITING);
    expect(claimed).toMatchObject({ runId: first.runId, planId: first.planId, status: "waiting", pseudoName: null });
    expect((await claimRun(database.db, IMAGE_WAITING))?.runId).toBe(later.runId);
    expect(await claimRun(database.db, IMAGE_WAITING)).toBeUndefined();
  });

  it("claims only the statuses and kinds of plan asked for", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    await dueNow(root.runId);
    expect(await claimRun(database.db, { ...IMAGE_WAITING, statuses: ["running"] })).toBeUndefined();
    expect(await claimRun(database.db, { ...IMAGE_WAITING, statuses: ["running"], pseudoPlans: ["knit#imported"] })).toBeUndefined();
    expect(await claimRun(database.db, { ...IMAGE_WAITING, statuses: ["running"], pseudoPlans: ["knit#uploaded"] })).toMatchObject({
      runId: root.runId,
      pseudoName: "knit#uploaded",
    });
  });

  it("a frozen system starts nothing of an image plan", async () => {
    const run = await waitingRunOf(database, "localhost/claim-frozen");
    await dueNow(run.runId);
    await sql`INSERT INTO system_freeze (frozen_by) VALUES ('admin')`.execute(database.db);
    try {
      expect(await claimRun(database.db, IMAGE_WAITING)).toBeUndefined();
    } finally {
      await sql`DELETE FROM system_freeze`.execute(database.db);
    }
    expect((await claimRun(database.db, IMAGE_WAITING))?.runId).toBe(run.runId);
  });

  it("with a worker limit, a ready run is claimed only with a free slot; a released slot is free again", async () => {
    const ready = async (image: string) => {
      const run = await waitingRunOf(database, image);
      await setRunStatus(database.db, run.runId, "ready");
      return run.runId;
    };
    const one = await ready("localhost/claim-slot-1");
    const two = await ready("localhost/claim-slot-2");
    const filter: RunClaimFilter = { statuses: ["ready"], imageRuns: true, pseudoPlans: [], leaseMs: 0, maxWorkers: 1 };
    await dueNow(one, 10);
    await dueNow(two, 1);
    expect((await claimRun(database.db, filter))?.runId).toBe(one);
    await dueNow(one, 10);
    // the slot is taken by the first run: the second is not claimed, the first is again
    await sql`UPDATE run SET lifecycle_suspend_until = now() + interval '1 day' WHERE run_id = ${one}::uuid`.execute(database.db);
    expect(await claimRun(database.db, filter)).toBeUndefined();
    await releaseWorkerSlot(database.db, one);
    expect((await claimRun(database.db, filter))?.runId).toBe(two);
  });

  it("suspends and wakes a run only in the statuses given", async () => {
    const run = await waitingRunOf(database, "localhost/claim-suspend");
    expect(await suspendRun(database.db, run.runId, "running", 0)).toBe(false);
    expect(await suspendRun(database.db, run.runId, "waiting", 3_600_000)).toBe(true);
    expect(await wakeRun(database.db, run.runId, ["running"])).toBe(false);
    expect(await claimRun(database.db, IMAGE_WAITING)).toBeUndefined();
    expect(await wakeRun(database.db, run.runId, ["waiting"])).toBe(true);
    expect((await claimRun(database.db, IMAGE_WAITING))?.runId).toBe(run.runId);
    expect(await wakeRun(database.db, "00000000-0000-4000-8000-000000000000", ["waiting"])).toBe(false);
  });
});
