import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callJson, preparePodman, run, captureLogger, shellPlan, type Json } from "@knitfab/testing";
import { applyPlan, getRun, pushData, runLog, startEngineServer, waitForRuns, type EngineServer } from "../../test-support/index.js";

const LINES = 4000;

/**
 * A task that fills the disk of the Data store (issue 8 item 16), with the server's home on a small
 * real tmpfs and the database elsewhere (PostgreSQL): the run waits in completing, nothing is lost,
 * the server says once what to do, the run shows why it waits, and it finishes once space is freed.
 */
describe("a full disk on postgres", () => {
  let home = "";
  let server: EngineServer | undefined;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    await preparePodman();
    home = await mkdtemp(join(tmpdir(), "knitfab-full-"));
    await run("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", home]);
    // no free-space reserve: the input must fit on the 4 MB disk that the task then fills
    server = await startEngineServer("postgres", { home, logger, flags: { freeSpaceReserve: "0" } });
  });
  afterAll(async () => {
    await server?.stop();
    if (home) {
      await run("umount", [home]).catch(() => {});
      await rm(home, { recursive: true, force: true });
    }
  });

  it("keeps the run completing with a reason and a warning, and finishes it once space is freed", async () => {
    const { apiRoot } = server!;
    // Fill the disk, then write a log far larger than what was recorded before the disk was full.
    const script = `dd if=/dev/zero of=/out/big bs=64k 2>/dev/null || true; i=0; while [ $i -lt ${LINES} ]; do echo "line $i after the disk was full"; i=$((i+1)); done`;
    const planId = await applyPlan(apiRoot, shellPlan(script, { inputs: [{ path: "/in", tags: ["full:in"] }], outputs: [{ path: "/out", tags: ["full:out"] }] }));
    await pushData(apiRoot, [{ name: "x", content: "x" }], ["full:in"]);
    const [completing] = await waitForRuns(apiRoot, planId, (runs) => runs[0]?.status === "completing");
    const runId = String(completing!.runId);

    const warning = await waitForWarning(`${apiRoot}/runs/${runId}`);
    expect(warning).toMatch(/^199 knitfab "waiting for disk space: the disk of the Data store is full \(ENOSPC\); free space there .* finishes by itself"$/);
    expect((await getRun(apiRoot, runId)).status).toBe("completing");

    const output = String(((await getRun(apiRoot, runId)).outputs as Json[])[0]!.knitId);
    await rm(join(home, "data", "data", output, "big"));
    const [done] = await waitForRuns(apiRoot, planId, (runs) => runs[0]?.status === "done");
    expect(done!.exit).toEqual({ code: 0, message: "" });
    const log = (await runLog(apiRoot, runId)).text.split("\n").filter(Boolean);
    expect(log).toHaveLength(LINES);
    expect(log.at(-1)).toBe(`line ${LINES - 1} after the disk was full`);
    expect((await callJson(`${apiRoot}/runs/${runId}`)).headers.get("warning")).toBeNull();
    // said once, however often finishing tried meanwhile
    const said = lines.filter((line) => line.includes("waiting for disk space"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^warn: finishing: run [0-9a-f-]+ \(completing\) is waiting for disk space/);
  });
});

/** Polls the run until its response carries a Warning header (bounded as a hang guard). */
async function waitForWarning(url: string): Promise<string> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const warning = (await callJson(url)).headers.get("warning");
    if (warning) return warning;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never carried a Warning header`);
}
