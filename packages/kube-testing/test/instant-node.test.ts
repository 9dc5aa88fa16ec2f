/**
 * The stand-in kubelet's instant mode (kwok-like, for scale benchmarks): a Job on an instant node
 * completes without Podman playing it, every container (init containers too) terminated with
 * exit 0, reason Completed; deleting the Job still removes its pod. Real control plane.
 */
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { startControlPlane, startStandInKubelet, waitUntil, type ControlPlane, type StandInKubelet } from "../src/index.js";
import { PodmanApi } from "../src/podman-api.js";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../scripts/", import.meta.url));
const NAMESPACE = "default";
const WAIT_MS = 100_000;

let controlPlane: ControlPlane;
let kubelet: StandInKubelet;
let podman: PodmanApi;

beforeAll(async () => {
  const socket = (await run("sh", [`${scripts}podman-service.sh`], { cwd: tmpdir() })).stdout.trim().split("\n").pop() ?? "";
  podman = new PodmanApi(socket);
  controlPlane = await startControlPlane();
  kubelet = await startStandInKubelet({ controlPlane, podmanSocket: socket, instant: true, nodes: [{ name: "node-instant" }] });
  const core = controlPlane.adminConfig().makeApiClient(CoreV1Api);
  await waitUntil("the node Ready", async () =>
    (await core.listNode()).items.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")), WAIT_MS);
}, 30 * 60_000);

afterAll(async () => {
  await kubelet?.close();
  await controlPlane?.close();
}, 120_000);

it("completes a Job on an instant node at once, init containers too, and deletion removes its pod", async () => {
  const admin = controlPlane.adminConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const batch = admin.makeApiClient(BatchV1Api);
  // An image no Podman store has and a command that would fail: an instant node runs neither.
  await batch.createNamespacedJob({
    namespace: NAMESPACE,
    body: {
      metadata: { name: "instant", namespace: NAMESPACE },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: "Never",
            initContainers: [{ name: "prepare", image: "localhost/not-there:never", command: ["false"] }],
            containers: [
              { name: "main", image: "localhost/not-there:never", command: ["false"] },
              { name: "sidecar", image: "localhost/not-there:never", command: ["false"] },
            ],
          },
        },
      },
    },
  });
  const job = await waitUntil("the job complete", async () => {
    const found = await batch.readNamespacedJob({ name: "instant", namespace: NAMESPACE });
    return found.status?.succeeded === 1 ? found : undefined;
  }, WAIT_MS);
  expect(job.status?.failed ?? 0).toBe(0);
  const [pod] = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "job-name=instant" })).items;
  expect(pod?.spec?.nodeName).toBe("node-instant");
  expect(pod?.status?.phase).toBe("Succeeded");
  const ended = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].map((c) => ({
    name: c.name,
    exitCode: c.state?.terminated?.exitCode,
    reason: c.state?.terminated?.reason,
  }));
  expect(ended).toEqual([
    { name: "prepare", exitCode: 0, reason: "Completed" },
    { name: "main", exitCode: 0, reason: "Completed" },
    { name: "sidecar", exitCode: 0, reason: "Completed" },
  ]);
  // Nothing was played with Podman.
  expect(await podman.podExists(kubelet.podmanPodName(pod?.metadata?.uid ?? ""))).toBe(false);

  await batch.deleteNamespacedJob({ name: "instant", namespace: NAMESPACE, propagationPolicy: "Foreground" });
  await waitUntil("the pod deleted", async () =>
    (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "job-name=instant" })).items.length === 0, WAIT_MS);
}, 300_000);
