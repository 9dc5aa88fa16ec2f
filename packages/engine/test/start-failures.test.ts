import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retryRun, type RunRecord } from "@knitfab/db";
import { BACKENDS, preparePodman, run, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { applyPlan, pushData, startTestEngine, waitForRuns, type TestEngine } from "./support.js";

const NO_COMMAND_IMAGE = "localhost/knitfab-no-command:test";

/**
 * Runs that can never start fail with exit 255 `(pod worker-run-<runId>) [REASON] NOTE` as soon as
 * that is known, instead of waiting for the start timeout (here far longer than any test) or being
 * retried forever (issue 8 item 6, issue 9 item 8), on real Podman.
 */
describe.each(BACKENDS)("runs that cannot start, on %s", (backend) => {
  let engine: TestEngine;
  let caseNo = 0;

  beforeAll(async () => {
    await preparePodman();
    // An image with nothing to run: no entrypoint, no command (Podman would otherwise run /bin/sh).
    await run("sh", ["-c", `tar -c --files-from=/dev/null | podman import --change 'CMD []' - ${NO_COMMAND_IMAGE}`]);
    engine = await startTestEngine(backend, { logger: { error: () => {} }, options: { startTimeoutMs: 3_600_000 } });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  /** Applies the plan on its own tag, changes what `before` changes, pushes one Data and waits for the run's end. */
  async function finishedRun(plan: Json, before?: (planId: string) => Promise<void>): Promise<RunRecord> {
    const tag = `start:${backend}-${++caseNo}`;
    const planId = await applyPlan(engine, { ...plan, inputs: [{ path: "/in", tags: [tag] }] });
    await before?.(planId);
    await pushData(engine, [{ name: "x", content: "x" }], [tag]);
    const [finished] = await waitForRuns(engine, planId, allFinished(1));
    return finished!;
  }

  it("fails a run whose image cannot be pulled at once, with the pull error", async () => {
    const image = "localhost/knitfab-no-such-image:1";
    const finished = await finishedRun({ ...shellPlan("true", {}), image });
    expect(finished.status).toBe("failed");
    expect(finished.exit?.code).toBe(255);
    expect(String(finished.exit?.message)).toMatch(new RegExp(`^\\(pod worker-run-${String(finished.runId)}\\) \\[ErrImagePull\\] image "${image}" cannot be pulled: .+`));
  });

  it("fails a run whose image has no command and whose plan gives no entrypoint", async () => {
    const finished = await finishedRun({ image: NO_COMMAND_IMAGE, outputs: [], log: { tags: ["type:log"] } });
    expect(finished.status).toBe("failed");
    expect(finished.exit).toEqual({
      code: 255,
      message:
        `(pod worker-run-${String(finished.runId)}) [CreateContainerError] no command specified: the image "${NO_COMMAND_IMAGE}" ` +
        "has no entrypoint or command, and the plan gives none; set the plan's entrypoint (or args)",
    });
  });

  it("fails runs of plans stored with limits or mount paths no engine can use (before validation existed)", async () => {
    const db = engine.database.db;
    const negativeCpu = await finishedRun(shellPlan("true", {}), async (planId) => {
      await sql`UPDATE plan_resource SET value = '-1' WHERE plan_id = ${planId}::uuid AND type = 'cpu'`.execute(db);
    });
    expect(negativeCpu.status).toBe("failed");
    expect(negativeCpu.exit).toMatchObject({ code: 255 });
    expect(String(negativeCpu.exit?.message)).toMatch(/^\(pod worker-run-[0-9a-f-]+\) \[CreateContainerConfigError\] "-1" is not a resource quantity/);

    const colonPath = await finishedRun(shellPlan("true", { outputs: [{ path: "/out", tags: [] }] }), async (planId) => {
      await sql`UPDATE output SET path = '/out:x' WHERE plan_id = ${planId}::uuid AND path = '/out'`.execute(db);
    });
    expect(colonPath.status).toBe("failed");
    expect(String(colonPath.exit?.message)).toMatch(/\[CreateContainerConfigError\] mount path "\/out:x" contains ":" or ","/);
    // a failed run of this kind can be retried once the plan is fixed
    await expect(retryRun(engine.database, colonPath.runId)).resolves.toBeUndefined();
  });
});
