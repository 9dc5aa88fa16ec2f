/**
 * The pvc store against a REAL control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler; scripts/build-kube-control-plane.sh) whose node is simulated by the STAND-IN
 * kubelet of @knitfab/kube-testing: data-agent Pods run for real under `podman kube play` from the
 * server image (scripts/build-server-image.sh, built once, cached), claims are bound by the stand-in
 * provisioner to Podman named volumes, and the store reaches each agent at its Pod IP. No managed
 * cluster runs here: the API server, controllers and scheduler are real, the node is not.
 *
 * The store speaks as a service account with only the Role below, so RBAC is checked for real.
 * One control plane for the whole file: the shared DataStore contract first, then the store's own.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer, text } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { clientFor, grantRole, PVC_STORE_RULES, RUNTIME_RULES, startControlPlane, startStandInKubelet, waitUntil as until, type ControlPlane, type StandInKubelet } from "@knitfab/kube-testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { rawTarGz } from "@knitfab/archive";
import { describeDataStoreContract } from "../../contract/data-store-contract.js";
import { ChecksumMismatchError, DataMissingError } from "../errors.js";
import { createKubernetesRuntime } from "../../runtime/kubernetes/kubernetes-runtime.js";
import { ANY_NODE } from "../../runtime/worker-runtime.js";
import { agentPodManifest, AGENT_COMPONENT, DEADLINE_ANNOTATION, type AgentPodSettings } from "./agent-pods.js";
import { createPvcDataStore, type PvcDataStore } from "./pvc-data-store.js";

// Every operation starts a Pod: a contract test that does ten takes longer than the default bound (a hang guard, not a verdict).
vi.setConfig({ testTimeout: 10 * 60_000, hookTimeout: 30 * 60_000 });

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../../scripts/", import.meta.url));
const NAMESPACE = "knit-data";
const BUSYBOX = "localhost/busybox:test";

interface Environment {
  controlPlane: ControlPlane;
  kubelet: StandInKubelet;
  /** The cluster administrator's client, for looking behind the store. */
  core: CoreV1Api;
  /** The store's service account (the Role below, nothing more). */
  storeConfig: KubeConfig;
  storeKubeconfig: string;
  image: string;
}

let environment: Promise<Environment> | undefined;
function shared(): Promise<Environment> {
  environment ??= setUp();
  return environment;
}

async function setUp(): Promise<Environment> {
  const podmanSocket = (await run("sh", [join(scripts, "podman-service.sh")])).stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(scripts, "make-test-image.sh"), BUSYBOX]);
  // The server image the agents run: built once per change of its inputs (the script caches).
  const image = (await run("sh", [join(scripts, "build-server-image.sh")], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
  const controlPlane = await startControlPlane();
  const kubelet = await startStandInKubelet({ controlPlane, podmanSocket, nodes: [{ name: "node-data", labels: { zone: "here" } }] });
  const admin = controlPlane.adminConfig();
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  // The pvc store's rules, and the kubernetes runtime's for the test that mounts a claim into a worker.
  await grantRole(admin, NAMESPACE, "knitfab", "knitfab-data", [...PVC_STORE_RULES, ...RUNTIME_RULES]);
  const storeKubeconfig = await controlPlane.kubeconfigForServiceAccount(NAMESPACE, "knitfab");
  await until("the node Ready", async () => {
    const nodes = (await core.listNode()).items;
    return nodes.length === 1 && nodes.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
  });
  return { controlPlane, kubelet, core, storeConfig: clientFor(storeKubeconfig), storeKubeconfig, image };
}

afterAll(async () => {
  if (!environment) return;
  const { kubelet, controlPlane } = await environment;
  await kubelet.close();
  await controlPlane.close();
}, 180_000);

function makeStore(env: Environment): PvcDataStore {
  return createPvcDataStore({
    kubeConfig: env.storeConfig,
    namespace: NAMESPACE,
    storageClassName: env.kubelet.storageClassName,
    dataSize: "64Mi",
    agentImage: env.image,
    agentImagePullPolicy: "Never",
    // A loaded machine starts a Pod slower than a cluster node does.
    startSeconds: 120,
  });
}


/** Agent Pods still there (deletion under way or not) for `knitId`. */
async function agentPodsOf(env: Environment, knitId: string): Promise<string[]> {
  const pods = await env.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `knit/dataagt.knitid=${knitId}` });
  return pods.items.filter((pod) => pod.metadata?.deletionTimestamp === undefined).map((pod) => pod.metadata?.name ?? "");
}

describeDataStoreContract("pvc (real control plane, stand-in kubelet and provisioner on podman)", async () => {
  const env = await shared();
  const store = makeStore(env);
  return {
    store,
    // Nothing per test: knitIds are unique, and the control plane goes with the file.
    cleanup: async () => undefined,
  };
});

describe("pvc store: claims, agent pods and their cleanup", () => {
  let env: Environment;
  let store: PvcDataStore;
  beforeAll(async () => {
    env = await shared();
    store = makeStore(env);
  });

  it("keeps each Data as a claim data-knitid-<knitId> of the configured class and size, labelled, sealed by annotation", async () => {
    const knitId = randomUUID();
    await store.receive(knitId, Readable.from([rawTarGz([{ path: "f", content: "x" }])]));
    const claim = await env.core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `data-knitid-${knitId}` });
    expect(claim.spec?.storageClassName).toBe(env.kubelet.storageClassName);
    expect(claim.spec?.resources?.requests?.storage).toBe("64Mi");
    expect(claim.spec?.accessModes).toEqual(["ReadWriteMany"]);
    expect(claim.metadata?.labels?.["knit/data.knitid"]).toBe(knitId);
    expect(claim.metadata?.annotations?.["knitfab.io/sealed"]).toBe("true");
    expect(store.volumeOf(knitId)).toEqual({ kind: "claim", claimName: `data-knitid-${knitId}` });
  });

  it("removes its agent Pods after every operation, also when an upload is refused (broken tar, bad checksum)", async () => {
    const broken = randomUUID();
    await expect(store.receive(broken, Readable.from([Buffer.from("this is no gzip")]))).rejects.toThrow(/corrupt archive/);
    const wrong = randomUUID();
    const sample = rawTarGz([{ path: "f", content: "x" }]);
    await expect(store.receive(wrong, Readable.from([sample]), { announced: () => ["0".repeat(32)], required: true })).rejects.toBeInstanceOf(ChecksumMismatchError);
    const good = randomUUID();
    await store.receive(good, Readable.from([sample]));
    await text((await store.send(good)).stream);
    await store.listFiles(good, "");
    for (const knitId of [broken, wrong, good]) expect(await agentPodsOf(env, knitId), knitId).toEqual([]);
    // Refused uploads leave no claim either.
    for (const knitId of [broken, wrong]) expect(await store.exists(knitId)).toBe(false);
  });

  it("removes the agent Pod of a download its reader abandons", async () => {
    const knitId = randomUUID();
    await store.receive(knitId, Readable.from([rawTarGz([{ path: "big", content: Buffer.alloc(4 * 1024 * 1024, 1) }])]));
    const outgoing = await store.send(knitId);
    expect(await agentPodsOf(env, knitId)).toHaveLength(1);
    outgoing.stream.destroy();
    await until("the agent of the abandoned download to go", async () => (await agentPodsOf(env, knitId)).length === 0);
  });

  it("sweeps leftover agents (ended, or past their deadline) and leaves a live one alone", async () => {
    const knitId = randomUUID();
    await store.prepare(knitId);
    const settings: AgentPodSettings = {
      namespace: NAMESPACE,
      image: env.image,
      imagePullPolicy: "Never",
      port: 8080,
      startSeconds: 30,
      lifetimeSeconds: 3600,
      requestDeadlineSeconds: 180,
      limits: {},
      version: "test",
    };
    const claim = `data-knitid-${knitId}`;
    // What a crashed server leaves: an agent nobody talks to, past its deadline, and one still in its time.
    const old = agentPodManifest(settings, knitId, claim, "read", `knitid-${knitId}-read-0ld00`, new Date(Date.now() - 2 * 3600_000));
    const young = agentPodManifest(settings, knitId, claim, "read", `knitid-${knitId}-read-y0000`);
    for (const body of [old, young]) await env.core.createNamespacedPod({ namespace: NAMESPACE, body });
    expect(Date.parse(old.metadata?.annotations?.[DEADLINE_ANNOTATION] ?? "")).toBeLessThan(Date.now());
    expect((await store.listPartials()).map((partial) => partial.name)).toContain(`${knitId}.knitid-${knitId}-read-0ld00`);
    const removed = await store.sweep();
    expect(removed).toContain(`knitid-${knitId}-read-0ld00`);
    expect(removed).not.toContain(`knitid-${knitId}-read-y0000`);
    expect(await agentPodsOf(env, knitId)).toEqual([`knitid-${knitId}-read-y0000`]);
    // An agent that ended (its deadline for a request passed, or it served) is swept at once.
    await env.core.deleteNamespacedPod({ namespace: NAMESPACE, name: `knitid-${knitId}-read-y0000`, gracePeriodSeconds: 0 });
    const ended = agentPodManifest({ ...settings, requestDeadlineSeconds: 1 }, knitId, claim, "read", `knitid-${knitId}-read-e0000`);
    await env.core.createNamespacedPod({ namespace: NAMESPACE, body: ended });
    await until("the idle agent to end", async () => {
      const pod = await env.core.readNamespacedPod({ namespace: NAMESPACE, name: `knitid-${knitId}-read-e0000` });
      return pod.status?.phase === "Succeeded";
    });
    expect(await store.sweep()).toEqual([`knitid-${knitId}-read-e0000`]);
    await until("no agent of the Data left", async () => (await agentPodsOf(env, knitId)).length === 0);
    const listed = await env.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `app.kubernetes.io/component=${AGENT_COMPONENT}` });
    expect(listed.items.filter((pod) => pod.metadata?.deletionTimestamp === undefined && pod.metadata?.name?.includes(knitId))).toEqual([]);
  });

  it("removing a Data (garbage collection) deletes its claim, and the volume behind it goes", async () => {
    const knitId = randomUUID();
    await store.receive(knitId, Readable.from([rawTarGz([{ path: "f", content: "x" }])]));
    const before = await env.core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `data-knitid-${knitId}` });
    const volumeName = before.spec?.volumeName ?? "";
    expect(volumeName).not.toBe("");
    await store.remove(knitId);
    await expect(env.core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `data-knitid-${knitId}` })).rejects.toMatchObject({ code: 404 });
    // The provisioner's reclaim policy Delete takes the volume too.
    await until("the claim's volume to go", async () => {
      const volume = await env.core.readPersistentVolume({ name: volumeName }).catch((error: { code?: number }) => (error.code === 404 ? undefined : Promise.reject(error)));
      return volume === undefined;
    });
  });

  it("answers not-found for a missing Data, without starting an agent", async () => {
    const knitId = randomUUID();
    await expect(store.send(knitId)).rejects.toBeInstanceOf(DataMissingError);
    await expect(store.listFiles(knitId, "")).rejects.toBeInstanceOf(DataMissingError);
    await expect(store.openFile(knitId, "f")).rejects.toBeInstanceOf(DataMissingError);
    await expect(store.readConcatenated(knitId)).rejects.toBeInstanceOf(DataMissingError);
    expect(await store.exists(knitId)).toBe(false);
    expect(await agentPodsOf(env, knitId)).toEqual([]);
  });

  it("hands out a claim the kubernetes runtime mounts: a worker writes into it and the store reads it back", async () => {
    const knitId = randomUUID();
    const volume = await store.prepare(knitId);
    const runtime = createKubernetesRuntime({ kubeconfig: env.storeKubeconfig, namespace: NAMESPACE });
    const runId = randomUUID();
    try {
      await runtime.start({
        runId,
        planId: "plan-pvc",
        image: BUSYBOX,
        entrypoint: ["sh", "-c"],
        args: ["echo written-by-the-worker > /out/result.txt"],
        env: {},
        mounts: [{ volume, target: "/out", readOnly: false }],
        resources: {},
        labels: {},
        onNode: ANY_NODE,
      });
      const state = await until("the worker to end", async () => {
        const inspected = await runtime.inspect(runId);
        return inspected.phase === "succeeded" || inspected.phase === "failed" ? inspected : undefined;
      }, 300_000);
      expect(state).toEqual({ phase: "succeeded" });
    } finally {
      await runtime.remove(runId);
      await runtime.close();
    }
    await store.seal(knitId);
    expect(await text((await store.openFile(knitId, "result.txt")).stream)).toBe("written-by-the-worker\n");
    expect((await buffer((await store.send(knitId)).stream)).length).toBeGreaterThan(0);
  });
});
