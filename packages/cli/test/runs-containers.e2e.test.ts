import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { IMAGE, preparePodman } from "@knitfab/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, startServer, type Server, type User } from "./harness.js";

/**
 * Run commands against Runs executed in real containers: Podman's Docker API socket
 * (scripts/podman-service.sh) and the offline busybox image (scripts/make-test-image.sh).
 */

interface Run {
  runId: string;
  status: string;
  outputs: { knitId: string }[];
}

let server: Server;
let user: User;

beforeAll(async () => {
  const socket = await preparePodman();
  server = await startServer({ env: { DOCKER_HOST: `unix://${socket}` } });
  user = await newUser();
  expect((await user.knit(["init", server.handout])).code).toBe(0);
  await mkdir(join(user.project, "words"));
  await writeFile(join(user.project, "words", "w.txt"), "knit\n");
  expect((await user.knit(["data", "push", "-t", "kind:words", "words"])).code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
});

async function applyPlan(name: string, script: string, outTag: string): Promise<string> {
  const file = join(user.project, `${name}.yaml`);
  await writeFile(file, [
    `image: ${IMAGE}`,
    `entrypoint: ["sh", "-c"]`,
    `args: [${JSON.stringify(script)}]`,
    "inputs:",
    "  - path: /in/words",
    "    tags: [\"kind:words\"]",
    "outputs:",
    "  - path: /out/result",
    `    tags: [${JSON.stringify(outTag)}]`,
    "log:",
    `  tags: ["type:log", ${JSON.stringify(`plan:${name}`)}]`,
    "",
  ].join("\n"));
  const applied = await user.knit(["plan", "apply", file]);
  expect(applied.code, applied.stderr).toBe(0);
  return (JSON.parse(applied.stdout) as { planId: string }).planId;
}

/** The Run the projection loop creates for the Plan (created asynchronously; waits for it to exist). */
async function runOf(planId: string): Promise<Run> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [found] = JSON.parse((await user.knit(["run", "find", "-p", planId])).stdout) as Run[];
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no Run was created for Plan ${planId}`);
}

describe("run commands with real containers", () => {
  it("show --log --follow streams the log until the Run ends; wait exits 0 when done", async () => {
    const planId = await applyPlan("copy", "echo hello-from-run; for i in 1 2 3; do echo tick $i; sleep 1; done; cp /in/words/w.txt /out/result/", "kind:copied");
    const created = await runOf(planId);
    // follow may be asked before the worker starts: retry while the log is not available yet
    let log = await user.knit(["run", "show", "--log", "--follow", created.runId]);
    for (let attempt = 0; log.code !== 0 && /not available yet/.test(log.stderr) && attempt < 100; attempt++) {
      await new Promise((r) => setTimeout(r, 200));
      log = await user.knit(["run", "show", "--log", "-f", created.runId]);
    }
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain("hello-from-run");
    const waited = await user.knit(["run", "wait", "--interval", "200ms", "--timeout", "25s", created.runId]);
    expect(waited.code, waited.stderr).toBe(0);
    const done = JSON.parse(waited.stdout) as Run;
    expect(done.status).toBe("done");
    const stored = await user.knit(["run", "show", "--log", created.runId]);
    expect(stored.stdout).toContain("tick 3");
    const out = await user.knit(["data", "pull", "-x", done.outputs[0]?.knitId ?? "", "pulled"]);
    expect(out.code, out.stderr).toBe(0);
    const lineage = await user.knit(["data", "lineage", "-u", done.outputs[0]?.knitId ?? ""]);
    expect(lineage.stdout).toContain(`"r${created.runId}"`);
  });

  it("show --log --follow into a reader that goes away early (| head) ends quietly with exit 0", async () => {
    // 2 MB of log, far more than a pipe holds, then the Run keeps running until it is aborted below.
    const planId = await applyPlan("chatty", "yes knit-log-line | head -c 2000000; sleep 600", "kind:chatty");
    const created = await runOf(planId);
    try {
      let status = created.status;
      for (let attempt = 0; status !== "running" && attempt < 300; attempt++) {
        await new Promise((r) => setTimeout(r, 200));
        status = (JSON.parse((await user.knit(["run", "show", created.runId])).stdout) as Run).status;
      }
      expect(status).toBe("running");
      const r = await user.knitIntoClosingReader(["run", "show", "--log", "--follow", created.runId]);
      expect(r.stdout).toContain("knit-log-line");
      expect(r.stderr).not.toMatch(/error|EPIPE/i);
      expect(r.code).toBe(0);
    } finally {
      // the Run would sleep on: abort it, so no container outlives the test
      expect((await user.knit(["run", "stop", "--fail", created.runId])).code).toBe(0);
      expect((await user.knit(["run", "wait", "--interval", "200ms", "--timeout", "60s", created.runId])).code).toBe(1);
    }
  });

  it("wait exits 1 for a failed Run, which retry then runs again", async () => {
    const planId = await applyPlan("fail", "echo failing; exit 3", "kind:never");
    const created = await runOf(planId);
    const waited = await user.knit(["run", "wait", "--interval", "200ms", "--timeout", "25s", created.runId]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/ended failed \(exit 3/);
    const retried = await user.knit(["run", "retry", created.runId]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stderr).toContain(`requested to retry Run: ${created.runId}`);
  });
});
