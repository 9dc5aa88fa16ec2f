/**
 * The user guide's pipeline, a crash (kill -9) and three replicas with the server in Kubernetes mode: `knitfab serve --runtime kubernetes
 * --store pvc` (the built binary) against a REAL control plane (kube-apiserver, controller manager,
 * scheduler, built by scripts/build-kube-control-plane.sh) whose node is the STAND-IN kubelet of
 * @knitfab/kube-testing, running every pod (workers and data agents) with `podman kube play`.
 * Every Data is a claim; uploads, downloads, logs and outputs go through data-agent Pods of the
 * server image (scripts/build-server-image.sh). The server speaks to the API server as a service
 * account with only the Role below. No managed cluster runs here: the control plane is real, the
 * node is not.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoreV1Api, RbacAuthorizationV1Api, SchedulingV1Api } from "@kubernetes/client-node";
import { startControlPlane, startStandInKubelet, waitUntil, type ControlPlane, type StandInKubelet } from "@knitfab/kube-testing";
import { allFinished, createTestPostgresDatabase, downloadTarGz, preparePodman, shellPlan, type Json } from "@knitfab/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { applyPlan, getRun, killHard, pushData, runLog, spawnServe, stopGently, waitForRuns, type ServeProcess } from "knitfab/test-support";

// Each step starts Pods (the worker and data agents) on a stand-in node: minutes on a loaded machine.
vi.setConfig({ testTimeout: 15 * 60_000, hookTimeout: 30 * 60_000 });

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
const NAMESPACE = "knitfab";
const RUNS_WAIT_MS = 10 * 60_000;
/**
 * The server image under test, tagged for this checkout: several checkouts may share one Podman,
 * and another's build of the default tag would otherwise replace the image (the workers' log
 * sidecar and the data agents) under this test with one of other code.
 */
const IMAGE_TAG = `localhost/knitfab-server:test-${createHash("sha256").update(fileURLToPath(new URL("../../../../", import.meta.url))).digest("hex").slice(0, 12)}`;

let controlPlane: ControlPlane | undefined;
let kubelet: StandInKubelet | undefined;
let server: ServeProcess | undefined;
let core: CoreV1Api;
/** `knitfab serve` arguments for kubernetes mode on this cluster. */
let kubeArgs: string[] = [];

beforeAll(async () => {
  const podmanSocket = await preparePodman();
  const image = (await run("sh", [join(scripts, "build-server-image.sh"), IMAGE_TAG], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
  controlPlane = await startControlPlane();
  kubelet = await startStandInKubelet({ controlPlane, podmanSocket, nodes: [{ name: "node-one", labels: { zone: "here" } }] });
  const admin = controlPlane.adminConfig();
  core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await admin.makeApiClient(SchedulingV1Api).createPriorityClass({ body: { metadata: { name: "knit-worker-priority" }, value: 1_000_000_000, preemptionPolicy: "Never" } });
  await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "knitfab" } } });
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  // The runtime's rules and the pvc store's, as the README lists them.
  await rbac.createNamespacedRole({
    namespace: NAMESPACE,
    body: {
      metadata: { name: "knitfab" },
      rules: [
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "delete"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["create", "get", "list", "patch", "delete"] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NAMESPACE,
    body: {
      metadata: { name: "knitfab" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "knitfab" },
      subjects: [{ kind: "ServiceAccount", name: "knitfab", namespace: NAMESPACE }],
    },
  });
  // The log sidecar's account, as the chart makes it: pods and pods/log get, its token in a Secret
  // that the token controller fills in; the nurse reads main's log with it from inside the pod.
  await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "knit-nurse" } } });
  await rbac.createNamespacedRole({
    namespace: NAMESPACE,
    body: { metadata: { name: "read-log" }, rules: [{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get"] }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NAMESPACE,
    body: {
      metadata: { name: "read-log" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "read-log" },
      subjects: [{ kind: "ServiceAccount", name: "knit-nurse", namespace: NAMESPACE }],
    },
  });
  await core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: { metadata: { name: "knit-nurse-secret", annotations: { "kubernetes.io/service-account.name": "knit-nurse" } }, type: "kubernetes.io/service-account-token" },
  });
  await waitUntil("the nurse's token", async () => Boolean((await core.readNamespacedSecret({ name: "knit-nurse-secret", namespace: NAMESPACE })).data?.token));
  const kubeconfig = await controlPlane.kubeconfigForServiceAccount(NAMESPACE, "knitfab", { expirationSeconds: 7200 });
  await waitUntil("the node Ready", async () =>
    (await core.listNode()).items.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
  );
  kubeArgs = [
      "--runtime", "kubernetes",
      "--store", "pvc",
      "--kubeconfig", kubeconfig,
      "--namespace", NAMESPACE,
      "--priority-class", "knit-worker-priority",
      "--storage-class", kubelet.storageClassName,
      "--data-size", "64Mi",
      "--agent-image", image,
      "--nurse-secret", "knit-nurse-secret",
  ];
  server = await spawnServe({ fastEngine: true, logLevel: "warn", args: kubeArgs });
});

afterAll(async () => {
  await server?.stop();
  await kubelet?.close();
  await controlPlane?.close();
}, 300_000);

async function filesOf(knitId: string, apiRoot = server!.apiRoot): Promise<Record<string, string>> {
  const download = await downloadTarGz(apiRoot, knitId);
  expect(download.status).toBe(200);
  // Unpacked by GNU tar, a client independent of ours.
  const folder = await mkdtemp(join(tmpdir(), "knitfab-kube-pull-"));
  await mkdir(join(folder, "out"));
  try {
    await writeFile(join(folder, "data.tar.gz"), download.body);
    await run("tar", ["-xzf", "data.tar.gz", "-C", "out", "--no-same-owner"], { cwd: folder });
    const files: Record<string, string> = {};
    for (const name of await readdir(join(folder, "out"), { recursive: true })) {
      const content = await readFile(join(folder, "out", name)).catch(() => undefined);
      if (content !== undefined) files[name] = content.toString("utf8");
    }
    return files;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
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

/** Whether the node started a `nurse` container in a pod of the run's worker (events outlive the pod). */
async function nurseStarted(runId: string): Promise<boolean> {
  const events = (await core.listNamespacedEvent({ namespace: NAMESPACE })).items;
  return events.some((event) => event.involvedObject.name?.startsWith(`worker-run-${runId}-`) && event.message === "Started container nurse");
}

async function noPodsLeft(): Promise<void> {
  await waitUntil("workers and agents gone", async () => {
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((pod) => !pod.metadata?.deletionTimestamp);
    return pods.length === 0 ? true : undefined;
  });
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
