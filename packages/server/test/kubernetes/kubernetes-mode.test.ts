/**
 * The user guide's pipeline, a crash (kill -9) and three replicas with the server in Kubernetes mode: `knitfab serve --runtime kubernetes
 * --store pvc` (the built binary) against a REAL control plane (kube-apiserver, controller manager,
 * scheduler, built by scripts/build-kube-control-plane.sh) whose node is the STAND-IN kubelet of
 * @knitfab/kube-testing, running every pod (workers and data agents) with `podman kube play`.
 * Every Data is a claim; uploads, downloads, logs and outputs go through data-agent Pods of the
 * server image (scripts/build-server-image.sh). The server speaks to the API server as a service
 * account with only the Role of kubernetes-mode-cluster.ts. No managed cluster runs here: the control plane is real, the
 * node is not.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CoreV1Api } from "@kubernetes/client-node";
import { allFinished, createTestPostgresDatabase, shellPlan, type Json } from "@knitfab/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { applyPlan, getRun, killHard, pushData, runLog, spawnServe, stopGently, waitForRuns, type ServeProcess } from "knitfab/test-support";
import { NAMESPACE, RUNS_WAIT_MS, filesOf as filesAt, noPodsLeft as noPodsLeftIn, nurseStarted as nurseStartedIn, startKubernetesModeCluster, type KubernetesModeCluster } from "./kubernetes-mode-cluster.js";

// Each step starts Pods (the worker and data agents) on a stand-in node: minutes on a loaded machine.
vi.setConfig({ testTimeout: 15 * 60_000, hookTimeout: 30 * 60_000 });

let cluster: KubernetesModeCluster | undefined;
let server: ServeProcess | undefined;
let core: CoreV1Api;
/** `knitfab serve` arguments for kubernetes mode on this cluster. */
let kubeArgs: string[] = [];

beforeAll(async () => {
  cluster = await startKubernetesModeCluster();
  core = cluster.core;
  kubeArgs = cluster.kubeArgs;
  server = await spawnServe({ fastEngine: true, logLevel: "warn", args: kubeArgs });
});

afterAll(async () => {
  await server?.stop();
  await cluster?.close();
}, 300_000);

function filesOf(knitId: string, apiRoot = server!.apiRoot): Promise<Record<string, string>> {
  return filesAt(apiRoot, knitId);
}

describe("the user guide's pipeline in kubernetes mode (pvc store, real control plane, stand-in node)", () => {
  it("runs two chained plans as Jobs on claims: outputs, logs, lineage and downloads", async () => {
    const apiRoot = server!.apiRoot;
    const train = await applyPlan(
      apiRoot,
      shellPlan("echo training on $(cat /in/data/numbers.txt); wc -w < /in/data/numbers.txt > /out/model/words; echo to stderr >&2", {
        inputs: [{ path: "/in/data", tags: ["project:kube", "type:dataset"] }],
        outputs: [{ path: "/out/model", tags: ["project:kube", "type:model"] }],
      }),
    );
    const validate = await applyPlan(
      apiRoot,
      shellPlan("echo validating; expr $(cat /in/model/words) \\* 10 > /out/score/score", {
        inputs: [{ path: "/in/model", tags: ["project:kube", "type:model"] }],
        outputs: [{ path: "/out/score", tags: ["project:kube", "type:score"] }],
      }),
    );
    const dataset = await pushData(apiRoot, [{ name: "numbers.txt", content: "1 2 3 4" }], ["project:kube", "type:dataset"]);
    // The upload is a claim now, filled by a write agent that is gone again.
    expect((await core.readNamespacedPersistentVolumeClaim({ name: `data-knitid-${dataset}`, namespace: NAMESPACE })).status?.phase).toBe("Bound");

    const [trained] = await waitForRuns(apiRoot, train, allFinished(1), RUNS_WAIT_MS);
    expect(trained, JSON.stringify(trained)).toMatchObject({ status: "done", exit: { code: 0, message: "" } });
    const [validated] = await waitForRuns(apiRoot, validate, allFinished(1), RUNS_WAIT_MS);
    expect(validated, JSON.stringify(validated)).toMatchObject({ status: "done" });

    // Lineage: the dataset went into training, the model into validation.
    const trainDetail = await getRun(apiRoot, String(trained!.runId));
    expect((trainDetail.inputs as Json[])[0]!.knitId).toBe(dataset);
    const model = String((trainDetail.outputs as Json[])[0]!.knitId);
    const validateDetail = await getRun(apiRoot, String(validated!.runId));
    expect((validateDetail.inputs as Json[])[0]!.knitId).toBe(model);
    const score = String((validateDetail.outputs as Json[])[0]!.knitId);

    // Outputs are claims whose content comes back through read agents.
    expect(await filesOf(model)).toEqual({ words: "4\n" });
    expect(await filesOf(score)).toEqual({ score: "40\n" });
    expect(await filesOf(dataset)).toEqual({ "numbers.txt": "1 2 3 4" });

    // The log Data holds the task's stdout and stderr, each line once, written inside the
    // worker's pod by its log sidecar (whose start the node reported).
    const log = await runLog(apiRoot, String(trained!.runId));
    expect(log.status).toBe(200);
    expect(log.text.split("\n").sort()).toEqual(["", "to stderr", "training on 1 2 3 4"]);
    expect(await nurseStarted(String(trained!.runId))).toBe(true);

    // The workers were Jobs, removed once their runs were recorded; no data agent is left behind.
    await noPodsLeft();
  });
});

function nurseStarted(runId: string): Promise<boolean> {
  return nurseStartedIn(core, runId);
}

function noPodsLeft(): Promise<void> {
  return noPodsLeftIn(core);
}

describe("a server killed (kill -9) while its run's Job runs, in kubernetes mode", () => {
  it("is restarted on the same home and finishes the run from the Job, with its output", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-kube-crash-"));
    let first: ServeProcess | undefined;
    let second: ServeProcess | undefined;
    try {
      first = await spawnServe({ home, fastEngine: true, logLevel: "warn", args: kubeArgs });
      const plan = await applyPlan(
        first.apiRoot,
        shellPlan("sleep 8; cat /in/value > /out/value; echo finished", {
          inputs: [{ path: "/in", tags: ["crash:kube"] }],
          outputs: [{ path: "/out", tags: ["crash:out"] }],
        }),
      );
      await pushData(first.apiRoot, [{ name: "value", content: "survived\n" }], ["crash:kube"]);
      await waitForRuns(first.apiRoot, plan, (runs) => runs[0]?.status === "running", RUNS_WAIT_MS);
      await killHard(first);
      second = await spawnServe({ home, fastEngine: true, logLevel: "warn", args: kubeArgs });
      const [finished] = await waitForRuns(second.apiRoot, plan, allFinished(1), RUNS_WAIT_MS);
      expect(finished, JSON.stringify(finished)).toMatchObject({ status: "done", exit: { code: 0, message: "" } });
      const output = String(((await getRun(second.apiRoot, String(finished!.runId))).outputs as Json[])[0]!.knitId);
      expect(await filesOf(output, second.apiRoot)).toEqual({ value: "survived\n" });
      // The log was written in the pod by its sidecar, the server dead or alive.
      expect((await runLog(second.apiRoot, String(finished!.runId))).text).toBe("finished\n");
      expect(await nurseStarted(String(finished!.runId))).toBe(true);
      await noPodsLeft();
    } finally {
      await second?.stop();
      if (first) await stopGently(first);
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("three replicas on PostgreSQL, in kubernetes mode", () => {
  it("share the work without starting any worker twice", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-kube-replicas-"));
    const { url } = await createTestPostgresDatabase();
    const replicas: ServeProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) replicas.push(await spawnServe({ home, databaseUrl: url, fastEngine: true, logLevel: "warn", args: kubeArgs }));
      const [one, two, three] = replicas.map((replica) => replica.apiRoot) as [string, string, string];
      const script = "echo started >> /out/starts; cat /in/value > /out/value";
      const first = await applyPlan(one, shellPlan(script, { inputs: [{ path: "/in", tags: ["krep:seed"] }], outputs: [{ path: "/out", tags: ["krep:first"] }] }));
      const second = await applyPlan(two, shellPlan(script, { inputs: [{ path: "/in", tags: ["krep:first"] }], outputs: [{ path: "/out", tags: ["krep:second"] }] }));
      const width = 3;
      for (let i = 0; i < width; i++) await pushData(replicas[i]!.apiRoot, [{ name: "value", content: `v${i}\n` }], ["krep:seed"]);
      for (const planId of [first, second]) {
        const runs = await waitForRuns(three, planId, allFinished(width), RUNS_WAIT_MS);
        expect(runs.map((run) => run.status)).toEqual(Array(width).fill("done"));
        for (const run of runs) {
          const output = String(((await getRun(three, String(run.runId))).outputs as Json[])[0]!.knitId);
          // One start per run: a worker started twice would have written two lines.
          expect((await filesOf(output, three)).starts, `run ${String(run.runId)}`).toBe("started\n");
        }
      }
      await noPodsLeft();
    } finally {
      await Promise.all(replicas.map((replica) => stopGently(replica)));
      await rm(home, { recursive: true, force: true });
    }
  });
});
