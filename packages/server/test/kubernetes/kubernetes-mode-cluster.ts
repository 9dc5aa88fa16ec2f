/**
 * The cluster the kubernetes-mode tests run `knitfab serve --runtime kubernetes --store pvc` (the
 * built binary) against: a REAL control plane (kube-apiserver, controller manager, scheduler, built
 * by scripts/build-kube-control-plane.sh) whose node is the STAND-IN kubelet of
 * @knitfab/kube-testing, running every pod (workers, data agents, an importer) with `podman kube
 * play`. Every Data is a claim; uploads, downloads, logs and outputs go through data-agent Pods of
 * the server image (scripts/build-server-image.sh). The server speaks to the API server as a
 * service account with only the Role below. No managed cluster runs here: the control plane is
 * real, the node is not.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BatchV1Api, CoreV1Api, SchedulingV1Api } from "@kubernetes/client-node";
import { grantRole, PVC_STORE_RULES, RUNTIME_RULES, startControlPlane, startStandInKubelet, waitUntil, type ControlPlane, type StandInKubelet } from "@knitfab/kube-testing";
import { downloadTarGz, preparePodman } from "@knitfab/testing";
import { expect } from "vitest";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
export const NAMESPACE = "knitfab";
export const RUNS_WAIT_MS = 10 * 60_000;
/**
 * The server image under test, tagged for this checkout: several checkouts may share one Podman,
 * and another's build of the default tag would otherwise replace the image (the workers' log
 * sidecar and the data agents) under this test with one of other code.
 */
const IMAGE_TAG = `localhost/knitfab-server:test-${createHash("sha256").update(fileURLToPath(new URL("../../../../", import.meta.url))).digest("hex").slice(0, 12)}`;

export interface KubernetesModeCluster {
  controlPlane: ControlPlane;
  kubelet: StandInKubelet;
  /** The administrator's clients (not the server's account). */
  core: CoreV1Api;
  batch: BatchV1Api;
  /** The server image (also the data agents' and the log sidecar's). */
  image: string;
  /** `knitfab serve` arguments for kubernetes mode on this cluster. */
  kubeArgs: string[];
  close(): Promise<void>;
}

/** Starts the control plane and one stand-in node, and makes the namespace, accounts and Roles the README lists. */
export async function startKubernetesModeCluster(): Promise<KubernetesModeCluster> {
  const podmanSocket = await preparePodman();
  const image = (await run("sh", [join(scripts, "build-server-image.sh"), IMAGE_TAG], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
  const controlPlane = await startControlPlane();
  let kubelet: StandInKubelet | undefined;
  try {
    kubelet = await startStandInKubelet({ controlPlane, podmanSocket, nodes: [{ name: "node-one", labels: { zone: "here" } }] });
    const admin = controlPlane.adminConfig();
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await admin.makeApiClient(SchedulingV1Api).createPriorityClass({ body: { metadata: { name: "knit-worker-priority" }, value: 1_000_000_000, preemptionPolicy: "Never" } });
    // The runtime's rules and the pvc store's, as the README lists them.
    await grantRole(admin, NAMESPACE, "knitfab", "knitfab", [...RUNTIME_RULES, ...PVC_STORE_RULES]);
    // The log sidecar's account, as the chart makes it: pods and pods/log get, its token in a Secret
    // that the token controller fills in; the nurse reads main's log with it from inside the pod.
    await grantRole(admin, NAMESPACE, "knit-nurse", "read-log", [{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get"] }]);
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: { name: "knit-nurse-secret", annotations: { "kubernetes.io/service-account.name": "knit-nurse" } }, type: "kubernetes.io/service-account-token" },
    });
    await waitUntil("the nurse's token", async () => Boolean((await core.readNamespacedSecret({ name: "knit-nurse-secret", namespace: NAMESPACE })).data?.token));
    const kubeconfig = await controlPlane.kubeconfigForServiceAccount(NAMESPACE, "knitfab", { expirationSeconds: 7200 });
    await waitUntil("the node Ready", async () =>
      (await core.listNode()).items.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
    );
    const kubeArgs = [
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
    const started = kubelet;
    return {
      controlPlane,
      kubelet,
      core,
      batch: admin.makeApiClient(BatchV1Api),
      image,
      kubeArgs,
      async close() {
        await started.close();
        await controlPlane.close();
      },
    };
  } catch (error) {
    await kubelet?.close();
    await controlPlane.close();
    throw error;
  }
}

/** The files of a Data, downloaded through the API and unpacked by GNU tar (a client independent of ours). */
export async function filesOf(apiRoot: string, knitId: string): Promise<Record<string, string>> {
  const download = await downloadTarGz(apiRoot, knitId);
  expect(download.status).toBe(200);
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

/** The names of the run's worker pods in which the node started `container` (events outlive the pod). */
export async function podsThatStarted(core: CoreV1Api, runId: string, container: string): Promise<string[]> {
  const events = (await core.listNamespacedEvent({ namespace: NAMESPACE })).items;
  const pods = events
    .filter((event) => event.involvedObject.name?.startsWith(`worker-run-${runId}-`) && event.message === `Started container ${container}`)
    .map((event) => event.involvedObject.name ?? "");
  return [...new Set(pods)];
}

/** Whether the node started a `nurse` container in a pod of the run's worker. */
export async function nurseStarted(core: CoreV1Api, runId: string): Promise<boolean> {
  return (await podsThatStarted(core, runId, "nurse")).length > 0;
}

/** Waits until no pod (worker or data agent) is left in the namespace, but those being deleted. */
export async function noPodsLeft(core: CoreV1Api): Promise<void> {
  await waitUntil("workers and agents gone", async () => {
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((pod) => !pod.metadata?.deletionTimestamp);
    return pods.length === 0 ? true : undefined;
  });
}
