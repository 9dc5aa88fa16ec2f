/**
 * The kubernetes runtime against a REAL control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, built by scripts/build-kube-control-plane.sh) whose nodes are simulated by the
 * STAND-IN kubelet of @knitfab/kube-testing, which runs every pod with `podman kube play`. No
 * managed cluster runs here: the API server, Job controller and scheduler are real, the nodes are not.
 *
 * The runtime talks to the API server as a service account with only the Role below (the least
 * privilege it needs), so RBAC is checked for real too. Volumes come from the local store as host
 * folders (hostPath): the stand-in kubelet runs on this machine, a single-machine cluster.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { BatchV1Api, CoreV1Api, PatchStrategy, SchedulingV1Api, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { grantRole, RUNTIME_RULES, startControlPlane, startStandInKubelet, waitUntil as until, WAIT_MS, type ControlPlane, type StandInKubelet } from "@knitfab/kube-testing";
import { PodmanApi } from "@knitfab/kube-testing/podman-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawTarGz } from "@knitfab/archive";
import { describeWorkerRuntimeContract } from "../../contract/worker-runtime-contract.js";
import { createLocalDataStore } from "../../store/local-data-store.js";
import type { DataStore } from "../../store/data-store.js";
import { ANY_NODE, workerName, type NodePlacement, type WorkerRuntime, type WorkerSpec, type WorkerState } from "../worker-runtime.js";
import { createKubernetesRuntime, loadKubeConfig } from "./kubernetes-runtime.js";
import { kubernetesLogSource, nurseLog, openLogFile } from "./log-nurse.js";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../../scripts/", import.meta.url));
const IMAGE = "localhost/busybox:test";
const NAMESPACE = "knit-workers";
const PRIORITY_CLASS = "knit-worker-priority";

interface Environment {
  controlPlane: ControlPlane;
  kubelet: StandInKubelet;
  core: CoreV1Api;
  batch: BatchV1Api;
  /** A kubeconfig of the runtime's service account (the Role below, nothing more). */
  kubeconfig: string;
  podmanSocket: string;
  work: string;
}

let environment: Promise<Environment> | undefined;

/** One control plane for the whole file (starting one takes tens of seconds on a loaded machine). */
function shared(): Promise<Environment> {
  environment ??= setUp();
  return environment;
}

async function setUp(): Promise<Environment> {
  const podmanSocket = (await run("sh", [join(scripts, "podman-service.sh")])).stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(scripts, "make-test-image.sh"), IMAGE]);
  const controlPlane = await startControlPlane();
  const kubelet = await startStandInKubelet({
    controlPlane,
    podmanSocket,
    nodes: [
      { name: "node-general", labels: { zone: "here", pool: "general" } },
      // Tainted NoSchedule: only workers that tolerate accelerator=gpu go there.
      {
        name: "node-gpu",
        labels: { zone: "here", accelerator: "gpu" },
        taints: [{ key: "accelerator", value: "gpu", effect: "NoSchedule" }],
        allocatable: { cpu: "4", memory: "8Gi", "nvidia.com/gpu": "1" },
      },
      // Tainted PreferNoSchedule: workers avoid it unless they prefer speed=fast.
      { name: "node-fast", labels: { zone: "here", speed: "fast" }, taints: [{ key: "speed", value: "fast", effect: "PreferNoSchedule" }] },
    ],
  });
  const admin = controlPlane.adminConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const batch = admin.makeApiClient(BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await admin.makeApiClient(SchedulingV1Api).createPriorityClass({ body: { metadata: { name: PRIORITY_CLASS }, value: 1_000_000_000, preemptionPolicy: "Never" } });
  // The runtime's Role exactly as the README lists it: the least privilege it works with.
  await grantRole(admin, NAMESPACE, "knitfab", "knitfab-workers", RUNTIME_RULES);
  await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "contract" } } });
  const kubeconfig = await controlPlane.kubeconfigForServiceAccount(NAMESPACE, "knitfab");
  await until("every node Ready", async () => {
    const nodes = (await core.listNode()).items;
    return nodes.length === 3 && nodes.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
  });
  const work = await mkdtemp(join(tmpdir(), "knitfab-kube-runtime-"));
  return { controlPlane, kubelet, core, batch, kubeconfig, podmanSocket, work };
}

afterAll(async () => {
  if (!environment) return;
  const { kubelet, controlPlane, work } = await environment;
  await kubelet.close();
  await controlPlane.close();
  await rm(work, { recursive: true, force: true });
}, 180_000);


describeWorkerRuntimeContract("kubernetes (real control plane, stand-in kubelet on podman), local store as hostPath", async () => {
  const { kubeconfig, work } = await shared();
  const runtime = createKubernetesRuntime({ kubeconfig, namespace: NAMESPACE, priorityClassName: PRIORITY_CLASS });
  return {
    runtime,
    store: createLocalDataStore(join(work, "contract-store")),
    image: IMAGE,
    nodeLabel: { key: "zone", value: "here" },
    // Podman runs memory limits for real under the stand-in kubelet; exit 137 there is OOMKilled.
    enforcesMemoryLimit: true,
    async cleanup() {
      await runtime.close();
    },
  };
});

describe("kubernetes runtime: placement, failures and cleanup against the real scheduler", () => {
  let env: Environment;
  let runtime: WorkerRuntime;
  let store: DataStore;
  const started: string[] = [];

  beforeAll(async () => {
    env = await shared();
    runtime = createKubernetesRuntime({ kubeconfig: env.kubeconfig, namespace: NAMESPACE, priorityClassName: PRIORITY_CLASS });
    store = createLocalDataStore(join(env.work, "driver-store"));
  }, 30 * 60_000);

  afterAll(async () => {
    for (const runId of started) await runtime?.remove(runId);
    await runtime?.close();
  }, 120_000);

  const spec = (overrides: Partial<WorkerSpec> = {}): WorkerSpec => {
    const runId = randomUUID();
    started.push(runId);
    return { runId, planId: "plan-driver", image: IMAGE, entrypoint: [], args: ["true"], env: {}, mounts: [], resources: {}, labels: {}, onNode: ANY_NODE, ...overrides };
  };

  async function ended(runId: string): Promise<WorkerState> {
    await runtime.waitForExit?.(runId, AbortSignal.timeout(WAIT_MS));
    return until(`run ${runId} to end`, async () => {
      const state = await runtime.inspect(runId);
      return state.phase === "succeeded" || state.phase === "failed" || state.phase === "missing" ? state : undefined;
    });
  }

  async function podOf(runId: string): Promise<V1Pod> {
    return until(`a pod of run ${runId}`, async () => (await env.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `job-name=${workerName(runId)}` })).items[0]);
  }

  /** Where the real scheduler bound the run's pod. */
  async function nodeOf(runId: string): Promise<string> {
    return until(`run ${runId} to be scheduled`, async () => (await podOf(runId)).spec?.nodeName);
  }

  async function placedOn(onNode: NodePlacement, resources: Record<string, string> = {}): Promise<string> {
    const worker = spec({ onNode, resources });
    await runtime.start(worker);
    const node = await nodeOf(worker.runId);
    expect(await ended(worker.runId)).toEqual({ phase: "succeeded" });
    return node;
  }

  it("builds a Job the API server accepts, with the priority class and the worker labels on Job and pod", async () => {
    const worker = spec();
    await runtime.start(worker);
    const job = await env.batch.readNamespacedJob({ name: workerName(worker.runId), namespace: NAMESPACE });
    expect(job.metadata?.labels).toMatchObject({ "knitfab/run-id": worker.runId, "knitfab/plan-id": "plan-driver", "knitfab/worker": "true" });
    const pod = await podOf(worker.runId);
    expect(pod.spec?.priorityClassName).toBe(PRIORITY_CLASS);
    expect(pod.spec?.priority).toBe(1_000_000_000);
    expect(pod.metadata?.labels?.["knitfab/run-id"]).toBe(worker.runId);
    expect(await ended(worker.runId)).toEqual({ phase: "succeeded" });
  });

  it("passes entrypoint, args and env (an empty value too) to main (checked by its exit and its log)", async () => {
    const script = 'echo "greeting=$GREETING|${EMPTY-unset}"; test "$GREETING|${EMPTY-unset}" = "hello, knit|" || exit 9';
    const worker = spec({ entrypoint: ["/bin/sh", "-c"], args: [script], env: { GREETING: "hello, knit", EMPTY: "" } });
    await runtime.start(worker);
    expect(await ended(worker.runId)).toEqual({ phase: "succeeded" });
    const log = await runtime.logs(worker.runId, { follow: false });
    expect(log && (await text(log))).toBe("greeting=hello, knit|\n");
    const wrong = spec({ entrypoint: ["/bin/sh", "-c"], args: [script], env: { GREETING: "hello" } });
    await runtime.start(wrong);
    expect(await ended(wrong.runId)).toEqual({ phase: "failed", exitCode: 9, message: "(container main) Error" });
  });

  it("must: a required label places the worker on the tainted node that has it (with its extended resource)", async () => {
    expect(await placedOn({ may: [], prefer: [], must: [{ key: "accelerator", value: "gpu" }] }, { "nvidia.com/gpu": "1" })).toBe("node-gpu");
  });

  it("prefer: the worker goes to the node with the label, which others avoid (PreferNoSchedule)", async () => {
    // Several at once: the toleration alone makes node-fast and node-general equal, and the scheduler
    // picks at random among equals; only the preferred affinity puts every one on node-fast.
    const prefer = { may: [], prefer: [{ key: "speed", value: "fast" }], must: [] };
    expect(await Promise.all([1, 2, 3, 4, 5].map(() => placedOn(prefer)))).toEqual(Array(5).fill("node-fast"));
    // Without it, the PreferNoSchedule taint keeps a worker off node-fast (and NoSchedule off node-gpu).
    expect(await placedOn(ANY_NODE)).toBe("node-general");
  });

  it("may: tolerates the label's NoSchedule taint, so the worker may run there, and only there when others are full", async () => {
    // Cordon the untainted nodes: then only node-gpu can take a worker, and only one that tolerates its taint.
    const cordon = (name: string, unschedulable: boolean) =>
      env.core.patchNode({ name, body: { spec: { unschedulable } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await cordon("node-general", true);
    await cordon("node-fast", true);
    try {
      const refused = spec();
      await runtime.start(refused);
      const waiting = await until("the untolerating worker to be found unschedulable", async () => {
        const state = await runtime.inspect(refused.runId);
        return state.phase === "pending" && state.waiting ? state : undefined;
      });
      expect(waiting.waiting?.reason).toBe("Unschedulable");
      const allowed = spec({ onNode: { may: [{ key: "accelerator", value: "gpu" }], prefer: [], must: [] } });
      await runtime.start(allowed);
      expect(await nodeOf(allowed.runId)).toBe("node-gpu");
      expect(await ended(allowed.runId)).toEqual({ phase: "succeeded" });
      await runtime.remove(refused.runId);
    } finally {
      await cordon("node-general", false);
      await cordon("node-fast", false);
    }
  });

  it("must on a label no node has: pending with the scheduler's reason, never stuck", async () => {
    const worker = spec({ onNode: { may: [], prefer: [], must: [{ key: "accelerator", value: "tpu" }] } });
    await runtime.start(worker);
    const state = await until("the worker to be found unschedulable", async () => {
      const current = await runtime.inspect(worker.runId);
      return current.phase === "pending" && current.waiting ? current : undefined;
    });
    expect(state).toMatchObject({ phase: "pending", waiting: { reason: "Unschedulable" } });
    expect(state.phase === "pending" && state.stuck).toBeFalsy();
    expect(state.phase === "pending" && state.waiting?.message).toContain("node affinity");
    await runtime.remove(worker.runId);
  });

  it("an image the node does not have: stuck with ErrImagePull as soon as the kubelet says so", async () => {
    const image = `localhost/knitfab-missing-${randomUUID()}:1`;
    const worker = spec({ image });
    await runtime.start(worker);
    const state = await until("the worker to be stuck", async () => {
      const current = await runtime.inspect(worker.runId);
      return current.phase === "pending" && current.stuck ? current : undefined;
    });
    expect(state.phase === "pending" && state.stuck?.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    expect(state.phase === "pending" && state.stuck?.message).toContain(image);
    await runtime.remove(worker.runId);
  });

  it("mounts inputs read-only and outputs writable (host folders as hostPath); a non-empty output fails in init-main", async () => {
    const input = randomUUID();
    const output = randomUUID();
    await store.receive(input, Readable.from([rawTarGz([{ path: "message", content: "knit me\n" }])]));
    await store.prepare(output);
    const worker = spec({
      args: ["sh", "-c", "tr a-z A-Z < /in/message > /out/result; if echo x > /in/new; then echo writable > /out/verdict; fi"],
      mounts: [
        { volume: store.volumeOf(input), target: "/in", readOnly: true },
        { volume: store.volumeOf(output), target: "/out", readOnly: false },
      ],
    });
    await runtime.start(worker);
    expect(await ended(worker.runId)).toEqual({ phase: "succeeded" });
    await store.seal(output);
    expect(await text((await store.openFile(output, "result")).stream)).toBe("KNIT ME\n");
    expect((await store.listFiles(output, "")).entries.map((entry) => entry.name)).toEqual(["result"]);

    // The same output again: it is not empty, so the check fails the run before main starts.
    const again = spec({ args: ["sh", "-c", "echo should-not-run > /out/other"], mounts: [{ volume: store.volumeOf(output), target: "/out", readOnly: false }] });
    await runtime.start(again);
    expect(await ended(again.runId)).toEqual({ phase: "failed", exitCode: 1, message: "(container init-main) Error" });
  });

  it("remove deletes the Job and its pod, whose containers stop", async () => {
    const worker = spec({ args: ["sleep", "600"] });
    await runtime.start(worker);
    const running = await until("the worker to run", async () => ((await runtime.inspect(worker.runId)).phase === "running" ? true : undefined));
    expect(running).toBe(true);
    const pod = await podOf(worker.runId);
    await runtime.remove(worker.runId);
    expect(await runtime.inspect(worker.runId)).toEqual({ phase: "missing" });
    expect(await runtime.listWorkers()).not.toContain(worker.runId);
    const gone = await until("the pod to be gone", async () =>
      (await env.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `knitfab/run-id=${worker.runId}` })).items.length === 0 ? true : undefined,
    );
    expect(gone).toBe(true);
    const podman = new PodmanApi(env.podmanSocket);
    expect(await podman.podExists(env.kubelet.podmanPodName(pod.metadata?.uid ?? ""))).toBe(false);
  });

  it("replaces the ended Job of a retried run's attempt before (other outputs) instead of taking its end", async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    await store.prepare(first);
    await store.prepare(second);
    const runId = randomUUID();
    started.push(runId);
    const attempt = (output: string): WorkerSpec => ({
      ...spec({ args: ["sh", "-c", "echo ran > /out/stamp"], mounts: [{ volume: store.volumeOf(output), target: "/out", readOnly: false }] }),
      runId,
    });
    await runtime.start(attempt(first));
    expect(await ended(runId)).toEqual({ phase: "succeeded" });
    // Retried before the first attempt's Job was deleted: the new Job must run into the new output.
    await runtime.start(attempt(second));
    expect(await ended(runId)).toEqual({ phase: "succeeded" });
    await store.seal(second);
    expect(await text((await store.openFile(second, "stamp")).stream)).toBe("ran\n");
    // A start repeated with the same outputs (after a crash) leaves the worker alone.
    const jobUid = (await env.batch.readNamespacedJob({ name: workerName(runId), namespace: NAMESPACE })).metadata?.uid;
    await runtime.start(attempt(second));
    expect((await env.batch.readNamespacedJob({ name: workerName(runId), namespace: NAMESPACE })).metadata?.uid).toBe(jobUid);
  });

  // Last in the file: it restarts the shared API server.
  it("waitForExit, a followed log and the log sidecar's reading outlive an API server restart", async () => {
    const worker = spec({ args: ["sh", "-c", "echo before; sleep 8; echo after"] });
    await runtime.start(worker);
    const pod = await until("main to run", async () => {
      const current = await podOf(worker.runId);
      return current.status?.containerStatuses?.find((status) => status.name === "main")?.state?.running ? current : undefined;
    });
    // Each is settled into a value at once, so a rejection during the restart is the test's verdict, not an unhandled one.
    const waiting = runtime.waitForExit!(worker.runId, AbortSignal.timeout(WAIT_MS)).then(
      () => "resolved",
      (error: unknown) => error,
    );
    const followed = runtime.logs(worker.runId, { follow: true }).then(
      (stream) => (stream ? text(stream) : "no log"),
      (error: unknown) => error,
    );
    // The nurse's work (knitfab nurse in the worker's pod), here with the runtime's account (it may get pods and pods/log).
    const file = join(env.work, `nurse-${worker.runId}.log`);
    const logFile = await openLogFile(file);
    const nursing = nurseLog(kubernetesLogSource(loadKubeConfig(env.kubeconfig), NAMESPACE, pod.metadata?.name ?? "", "main"), logFile, { pollMs: 200 }).then(
      (result) => result,
      (error: unknown) => error,
    );
    await until("the first line to be written", async () => (await readFile(file, "utf8")) === "before\n");

    await env.controlPlane.restartApiServer();

    expect(await waiting).toBe("resolved");
    expect(await runtime.inspect(worker.runId)).toEqual({ phase: "succeeded" });
    // A hang guard, not a verdict on speed: a cut read that never ends would hold these forever.
    const guard = <T>(work: Promise<T>) => Promise.race([work, sleep(WAIT_MS, "still reading long after the task ended", { ref: false })]);
    expect(await guard(nursing)).toMatchObject({ ended: "complete" });
    await logFile.close();
    expect(await readFile(file, "utf8")).toBe("before\nafter\n");
    expect(await guard(followed)).toBe("before\nafter\n");
    const log = await runtime.logs(worker.runId, { follow: false });
    expect(log && (await text(log))).toBe("before\nafter\n");
  });
});
