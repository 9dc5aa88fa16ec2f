/**
 * The volume expander against a REAL control plane (API server, controller manager, scheduler)
 * whose node is the STAND-IN kubelet of @knitfab/kube-testing: it runs the pod with `podman kube
 * play`, reports volume usage on its `/metrics` (`du` of the Podman volumes), and its stand-in
 * provisioner resizes claims as a CSI driver would. The expander talks to the API server as a
 * service account holding only the spec's Role and ClusterRole for vex, so RBAC is checked for real.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoreV1Api, RbacAuthorizationV1Api, type V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { clientFor, startControlPlane, startStandInKubelet, waitUntil as until, type ControlPlane, type StandInKubelet } from "@knitfab/kube-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVolumeExpander, VEX_MANAGED_ANNOTATION } from "./volume-expander.js";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
const IMAGE = "localhost/busybox:test";
const NAMESPACE = "knit-vex";
const NODE = "node-vex";

let controlPlane: ControlPlane | undefined;
let kubelet: StandInKubelet | undefined;
let core: CoreV1Api;
let vexKubeconfig: string;

beforeAll(async () => {
  const podmanSocket = (await run("sh", [join(scripts, "podman-service.sh")])).stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(scripts, "make-test-image.sh"), IMAGE]);
  controlPlane = await startControlPlane();
  kubelet = await startStandInKubelet({
    controlPlane,
    podmanSocket,
    nodes: [{ name: NODE, labels: { zone: "here" } }],
    storageClass: { allowVolumeExpansion: true },
  });
  const admin = controlPlane.adminConfig();
  core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "vex" } } });
  // What spec/loops.md §9 gives vex: pods get/list/watch and claims get/list/update in the
  // namespace; persistent volumes get/list and nodes/proxy get/list in the cluster.
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: NAMESPACE,
    body: {
      metadata: { name: "vex" },
      rules: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "update"] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NAMESPACE,
    body: {
      metadata: { name: "vex" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "vex" },
      subjects: [{ kind: "ServiceAccount", name: "vex", namespace: NAMESPACE }],
    },
  });
  await rbac.createClusterRole({
    body: {
      metadata: { name: "knit-vex" },
      rules: [
        { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get", "list"] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: "knit-vex" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "knit-vex" },
      subjects: [{ kind: "ServiceAccount", name: "vex", namespace: NAMESPACE }],
    },
  });
  vexKubeconfig = await controlPlane.kubeconfigForServiceAccount(NAMESPACE, "vex");
}, 300_000);

afterAll(async () => {
  await kubelet?.close();
  await controlPlane?.close();
}, 180_000);


function claim(name: string, storage: string, annotations: Record<string, string> = {}): V1PersistentVolumeClaim {
  return {
    metadata: { name, annotations },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: kubelet!.storageClassName, resources: { requests: { storage } } },
  };
}

const readClaim = (name: string) => core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE });

describe("the volume expander (vex)", () => {
  it("grows the claims a pod on its node fills, within the margin, and only those", async () => {
    // 2 MiB written into each writable claim. With a margin of 999 MB, a 1 GB claim is "near full"
    // (2 MiB + 999 MB >= 1 GB) and a 2 GB one is not.
    await core.createNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, body: claim("data-knitid-full", "1G") });
    await core.createNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, body: claim("data-knitid-roomy", "2G") });
    await core.createNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, body: claim("data-knitid-unmanaged", "1G", { [VEX_MANAGED_ANNOTATION]: "false" }) });
    // Mounted read-only only: never grown, though 0 bytes + 999 MB exceeds its 500 MB.
    await core.createNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, body: claim("data-knitid-input", "500M") });
    for (const name of ["data-knitid-full", "data-knitid-roomy", "data-knitid-unmanaged", "data-knitid-input"]) {
      await until(`${name} bound`, async () => (await readClaim(name)).status?.phase === "Bound");
    }
    const writable = ["full", "roomy", "unmanaged"];
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "filler" },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          containers: [
            {
              name: "main",
              image: IMAGE,
              command: ["sh", "-c", `${writable.map((name) => `head -c 2097152 /dev/zero > /${name}/fill`).join(" && ")} && touch /full/written && sleep 3600`],
              volumeMounts: [...writable.map((name) => ({ name, mountPath: `/${name}` })), { name: "input", mountPath: "/input", readOnly: true }],
            },
          ],
          volumes: [
            ...writable.map((name) => ({ name, persistentVolumeClaim: { claimName: `data-knitid-${name}` } })),
            { name: "input", persistentVolumeClaim: { claimName: "data-knitid-input", readOnly: true } },
          ],
        },
      },
    });
    const lines: string[] = [];
    const vex = createVolumeExpander({
      kubeConfig: clientFor(vexKubeconfig),
      namespaces: [NAMESPACE],
      nodeName: NODE,
      marginBytes: 999_000_000,
      deltaBytes: 1_000_000,
      log: (line) => lines.push(line),
    });
    // Rounds until the pod has written (the usage shows), as the daemon would every second.
    const round = await until("a round that grows a claim", async () => {
      const result = await vex.expandOnce();
      return result.grown.size > 0 ? result : undefined;
    });
    expect([...round.grown]).toEqual([[`${NAMESPACE}/data-knitid-full`, "2G"]]);
    expect(lines.join("\n")).toMatch(/claim knit-vex\/data-knitid-full uses \d+ bytes; its request is now 2G/);

    expect((await readClaim("data-knitid-full")).spec?.resources?.requests?.storage).toBe("2G");
    for (const [name, storage] of [["data-knitid-roomy", "2G"], ["data-knitid-unmanaged", "1G"], ["data-knitid-input", "500M"]] as const) {
      expect((await readClaim(name)).spec?.resources?.requests?.storage, name).toBe(storage);
    }
    // The storage driver (here the stand-in) grows the volume; the claim reports its new capacity.
    await until("the full claim's capacity grown", async () => (await readClaim("data-knitid-full")).status?.capacity?.storage === "2G");
    // Now roomy enough: the next round grows nothing.
    expect((await vex.expandOnce()).grown.size).toBe(0);
  }, 300_000);

  it("runs rounds until stopped, telling failed rounds and going on", async () => {
    const lines: string[] = [];
    // A node this service account may not proxy to does not exist: every round fails and says why.
    const vex = createVolumeExpander({
      kubeConfig: clientFor(vexKubeconfig),
      namespaces: [NAMESPACE],
      nodeName: "no-such-node",
      marginBytes: 999_000_000,
      deltaBytes: 1_000_000,
      log: (line) => lines.push(line),
    });
    const stop = new AbortController();
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "pinned" },
        spec: {
          nodeName: "no-such-node",
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          containers: [{ name: "main", image: IMAGE, command: ["true"], volumeMounts: [{ name: "v", mountPath: "/v" }] }],
          volumes: [{ name: "v", persistentVolumeClaim: { claimName: "data-knitid-roomy" } }],
        },
      },
    });
    const running = vex.run(50, stop.signal);
    await until("two failed rounds", async () => lines.filter((line) => line.startsWith("vex: round failed")).length >= 2);
    stop.abort();
    await running;
    expect(lines[0]).toMatch(/^vex: round failed \(tried again in 50 ms\): .*no-such-node/);
  }, 120_000);
});
