import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, callJson, downloadTarGz, workersLeftAfterCleanup, preparePodman, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { applyPlan, getRun, pushData, runLog, startEngineServer, waitForRuns, type EngineServer } from "../../test-support/index.js";

/** The whole engine on real Podman: Data in, runs started by themselves, outputs chained, logs stored. */
describe.each(BACKENDS)("engine pipeline on %s", (backend) => {
  let server: EngineServer;
  let apiRoot = "";
  const content = (knitId: string, file: string) => readFile(join(server.home, "data", "data", knitId, file), "utf8");

  beforeAll(async () => {
    await preparePodman();
    server = await startEngineServer(backend);
    apiRoot = server.apiRoot;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("runs two chained plans to done, with outputs, exit records, logs and lineage", async () => {
    const project = `p-${Date.now()}`;
    const first = await applyPlan(
      apiRoot,
      shellPlan("echo training on $(cat /in/data/numbers.txt); wc -w < /in/data/numbers.txt > /out/model/words; echo to stderr >&2", {
        inputs: [{ path: "/in/data", tags: [`project:${project}`, "type:dataset"] }],
        outputs: [{ path: "/out/model", tags: [`project:${project}`, "type:model"] }],
      }),
    );
    const second = await applyPlan(
      apiRoot,
      shellPlan("echo validating; expr $(cat /in/model/words) \\* 10 > /out/score/score", {
        inputs: [{ path: "/in/model", tags: [`project:${project}`, "type:model"] }],
        outputs: [{ path: "/out/score", tags: [`project:${project}`, "type:score"] }],
      }),
    );
    const dataset = await pushData(apiRoot, [{ name: "numbers.txt", content: "1 2 3 4" }], [`project:${project}`, "type:dataset"]);

    const [train] = await waitForRuns(apiRoot, first, allFinished(1));
    const [validate] = await waitForRuns(apiRoot, second, allFinished(1));
    expect(train!.status).toBe("done");
    expect(train!.exit).toEqual({ code: 0, message: "" });
    expect(validate!.status).toBe("done");

    const trainDetail = await getRun(apiRoot, String(train!.runId));
    expect((trainDetail.inputs as Json[])[0]!.knitId).toBe(dataset);
    const model = String((trainDetail.outputs as Json[])[0]!.knitId);
    expect((await content(model, "words")).trim()).toBe("4");
    const validateDetail = await getRun(apiRoot, String(validate!.runId));
    expect((validateDetail.inputs as Json[])[0]!.knitId).toBe(model);
    const score = String((validateDetail.outputs as Json[])[0]!.knitId);
    expect((await content(score, "score")).trim()).toBe("40");

    // The stored log holds stdout and stderr; the follow form of a finished run returns it too.
    const log = await runLog(apiRoot, String(train!.runId));
    expect(log.status).toBe(200);
    expect(log.text).toContain("training on 1 2 3 4");
    expect(log.text).toContain("to stderr");
    expect((await runLog(apiRoot, String(train!.runId), true)).text).toBe(log.text);

    // Outputs are Data with the plan's tags, a timestamp, and are downloadable.
    const [modelData] = (await callJson<Json[]>(`${apiRoot}/data/?tag=${encodeURIComponent(`knit#id:${model}`)}`)).body;
    expect(modelData!.tags).toEqual(expect.arrayContaining([`project:${project}`, "type:model", expect.stringMatching(/^knit#timestamp:/)]));
    expect((await downloadTarGz(apiRoot, model)).status).toBe(200);

    // Finished runs leave no container behind.
    expect(await workersLeftAfterCleanup([String(train!.runId), String(validate!.runId)])).toEqual([]);
  });

  it("records a failing task's exit code, and an out-of-memory kill as OOMKilled", async () => {
    const tag = `fail-${Date.now()}`;
    const failing = await applyPlan(apiRoot, shellPlan("echo failing; exit 3", { inputs: [{ path: "/in", tags: [`case:${tag}`] }] }));
    const oom = await applyPlan(
      apiRoot,
      shellPlan("head -c 200000000 /dev/zero | tail -c 200000000 > /dev/null", {
        inputs: [{ path: "/in", tags: [`case:${tag}`] }],
        extra: { resources: { cpu: "0.5", memory: "32Mi" } },
      }),
    );
    await pushData(apiRoot, [{ name: "x", content: "x" }], [`case:${tag}`]);
    const [failed] = await waitForRuns(apiRoot, failing, allFinished(1));
    expect(failed!.status).toBe("failed");
    expect(failed!.exit).toEqual({ code: 3, message: "(container main) Error" });
    expect((await runLog(apiRoot, String(failed!.runId))).text).toContain("failing");
    const [killed] = await waitForRuns(apiRoot, oom, allFinished(1));
    expect(killed!.status).toBe("failed");
    expect(killed!.exit).toEqual({ code: 137, message: "(container main) OOMKilled" });
  });
});
