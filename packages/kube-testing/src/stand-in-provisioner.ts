import {
  CoreV1Api,
  ListWatch,
  RbacAuthorizationV1Api,
  StorageV1Api,
  Watch,
  type KubeConfig,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from "@kubernetes/client-node";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { quantityValue } from "@knitfab/domain";
import type { ControlPlane } from "./control-plane.js";
import { clientFor, errorStatus } from "./clients.js";
import type { PodmanApi } from "./podman-api.js";

const runFile = promisify(execFile);

/** The CSI driver and provisioner name of the stand-in: its PersistentVolumes name a Podman volume. */
export const STAND_IN_CSI_DRIVER = "stand-in.kubelet.knitfab.test";
const PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
const SELECTED_NODE = "volume.kubernetes.io/selected-node";

export interface StandInStorageClassOptions {
  /** Default `stand-in`. */
  readonly name?: string;
  /** Whether it is the cluster's default class (default true). */
  readonly isDefault?: boolean;
  readonly volumeBindingMode?: "Immediate" | "WaitForFirstConsumer";
  readonly reclaimPolicy?: "Delete" | "Retain";
  readonly allowVolumeExpansion?: boolean;
}

/**
 * A STAND-IN PROVISIONER for tests, in the role of an external (CSI) provisioner: for each claim of
 * its storage class it makes a Podman named volume and a PersistentVolume (CSI source naming that
 * volume) reserved for the claim; the real PersistentVolume controller in kube-controller-manager
 * then binds them. When a claim is deleted and its volume is Released with reclaim policy Delete,
 * it removes the Podman volume and the PersistentVolume. Its identity holds only the cluster role
 * `system:persistent-volume-provisioner`, plus what an external resizer needs. A claim grown in a
 * class that allows expansion is resized at once, as a CSI driver without node expansion does: the
 * PersistentVolume's capacity, then the claim's status (a Podman volume has no size of its own).
 */
export class StandInProvisioner {
  private claims: ListWatch<V1PersistentVolumeClaim> | undefined;
  private volumes: ListWatch<V1PersistentVolume> | undefined;
  private readonly inFlight = new Set<string>();
  private closed = false;

  private constructor(
    private readonly core: CoreV1Api,
    private readonly config: KubeConfig,
    private readonly podman: PodmanApi,
    private readonly instance: string,
    readonly storageClassName: string,
    private readonly waitForConsumer: boolean,
  ) {}

  static async start(options: {
    controlPlane: ControlPlane;
    podman: PodmanApi;
    instance: string;
    storageClass?: StandInStorageClassOptions;
  }): Promise<StandInProvisioner> {
    const admin = options.controlPlane.adminConfig();
    const storage = admin.makeApiClient(StorageV1Api);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const user = `knitfab-test:stand-in-provisioner-${options.instance}`;
    const className = options.storageClass?.name ?? "stand-in";
    const ignoreExisting = (error: unknown) => {
      if (errorStatus(error) !== 409) throw error;
    };
    // Attachment is never needed: without this object the attach/detach controller would wait for one.
    await storage
      .createCSIDriver({ body: { metadata: { name: STAND_IN_CSI_DRIVER }, spec: { attachRequired: false, podInfoOnMount: false, volumeLifecycleModes: ["Persistent"] } } })
      .catch(ignoreExisting);
    await storage
      .createStorageClass({
        body: {
          metadata: {
            name: className,
            annotations: { "storageclass.kubernetes.io/is-default-class": String(options.storageClass?.isDefault ?? true) },
          },
          provisioner: STAND_IN_CSI_DRIVER,
          reclaimPolicy: options.storageClass?.reclaimPolicy ?? "Delete",
          volumeBindingMode: options.storageClass?.volumeBindingMode ?? "Immediate",
          allowVolumeExpansion: options.storageClass?.allowVolumeExpansion ?? false,
        },
      })
      .catch(ignoreExisting);
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `stand-in-provisioner-${options.instance}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:persistent-volume-provisioner" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      },
    });
    // The rules of the external-resizer's own ClusterRole that resizing here uses.
    await rbac
      .createClusterRole({
        body: {
          metadata: { name: "stand-in-resizer" },
          rules: [
            { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "patch", "update"] },
            { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["persistentvolumeclaims/status"], verbs: ["patch", "update"] },
          ],
        },
      })
      .catch(ignoreExisting);
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `stand-in-resizer-${options.instance}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "stand-in-resizer" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      },
    });
    const config = clientFor(options.controlPlane.kubeconfigForUser({ user }));
    const provisioner = new StandInProvisioner(
      config.makeApiClient(CoreV1Api),
      config,
      options.podman,
      options.instance,
      className,
      options.storageClass?.volumeBindingMode === "WaitForFirstConsumer",
    );
    await provisioner.watch();
    return provisioner;
  }

  podmanVolumeName(persistentVolumeName: string): string {
    return `kube-${this.instance}-${persistentVolumeName}`;
  }

  private async watch(): Promise<void> {
    const claims = new ListWatch<V1PersistentVolumeClaim>(
      "/api/v1/persistentvolumeclaims",
      new Watch(this.config),
      () => this.core.listPersistentVolumeClaimForAllNamespaces(),
      false,
    );
    const volumes = new ListWatch<V1PersistentVolume>("/api/v1/persistentvolumes", new Watch(this.config), () => this.core.listPersistentVolume(), false);
    this.claims = claims;
    this.volumes = volumes;
    const onClaim = (claim: V1PersistentVolumeClaim) =>
      void (claim.spec?.volumeName ? this.resize(claim) : this.provision(claim)).catch((error: unknown) => this.complain("claim", claim, error));
    const onVolume = (volume: V1PersistentVolume) => void this.reclaim(volume).catch((error: unknown) => this.complain("volume", volume, error));
    claims.on("add", onClaim);
    claims.on("update", onClaim);
    volumes.on("add", onVolume);
    volumes.on("update", onVolume);
    for (const watch of [claims, volumes] as const) {
      watch.on("error", () => {
        if (!this.closed) setTimeout(() => void watch.start().catch(() => undefined), 1000);
      });
    }
    await claims.start();
    await volumes.start();
  }

  private complain(kind: string, object: { metadata?: { name?: string } }, error: unknown): void {
    if (!this.closed) process.stderr.write(`stand-in provisioner: ${kind} ${object.metadata?.name}: ${error instanceof Error ? error.message : String(error)}\n`);
  }

  private async provision(claim: V1PersistentVolumeClaim): Promise<void> {
    const uid = claim.metadata?.uid;
    if (!uid || claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
    if (claim.spec?.storageClassName !== this.storageClassName) return;
    if (this.waitForConsumer && !claim.metadata?.annotations?.[SELECTED_NODE]) return;
    const name = `pvc-${uid}`;
    if (this.inFlight.has(name)) return;
    this.inFlight.add(name);
    try {
      await this.podman.createVolume(this.podmanVolumeName(name), { "knitfab.test/stand-in-kubelet": this.instance, "knitfab.test/claim-uid": uid });
      await this.core
        .createPersistentVolume({
          body: {
            metadata: { name, annotations: { [PROVISIONED_BY]: STAND_IN_CSI_DRIVER } },
            spec: {
              capacity: { storage: claim.spec.resources?.requests?.storage ?? "1Gi" },
              accessModes: claim.spec.accessModes ?? ["ReadWriteOnce"],
              persistentVolumeReclaimPolicy: "Delete",
              storageClassName: this.storageClassName,
              volumeMode: claim.spec.volumeMode ?? "Filesystem",
              claimRef: {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                namespace: claim.metadata?.namespace,
                name: claim.metadata?.name,
                uid,
              },
              csi: { driver: STAND_IN_CSI_DRIVER, volumeHandle: this.podmanVolumeName(name) },
            },
          },
        })
        .catch((error: unknown) => {
          if (errorStatus(error) !== 409) throw error;
        });
    } finally {
      this.inFlight.delete(name);
    }
  }

  /** A bound claim of this class asking for more than it has: grow its volume, then say so in its status. */
  private async resize(claim: V1PersistentVolumeClaim): Promise<void> {
    const { name, namespace } = claim.metadata ?? {};
    const volumeName = claim.spec?.volumeName;
    const requested = claim.spec?.resources?.requests?.storage;
    const current = claim.status?.capacity?.storage;
    if (!name || !namespace || !volumeName || !requested || !current || claim.status?.phase !== "Bound") return;
    if (claim.spec?.storageClassName !== this.storageClassName || quantityValue(requested) <= quantityValue(current)) return;
    const key = `resize-${volumeName}-${requested}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      const volume = await this.core.readPersistentVolume({ name: volumeName });
      if (volume.metadata?.annotations?.[PROVISIONED_BY] !== STAND_IN_CSI_DRIVER || !volume.spec) return;
      volume.spec.capacity = { ...volume.spec.capacity, storage: requested };
      await this.core.replacePersistentVolume({ name: volumeName, body: volume });
      const fresh = await this.core.readNamespacedPersistentVolumeClaim({ name, namespace });
      fresh.status = { ...fresh.status, capacity: { ...fresh.status?.capacity, storage: requested } };
      await this.core.replaceNamespacedPersistentVolumeClaimStatus({ name, namespace, body: fresh });
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * Bytes used in each bound claim of this provisioner, as the kubelet reports in
   * `kubelet_volume_stats_used_bytes` (here: `du` of the Podman volume), with the volume's capacity.
   */
  async volumeStats(): Promise<{ namespace: string; claim: string; usedBytes: number; capacityBytes: number }[]> {
    const stats: { namespace: string; claim: string; usedBytes: number; capacityBytes: number }[] = [];
    for (const volume of (await this.core.listPersistentVolume()).items) {
      const claimRef = volume.spec?.claimRef;
      const handle = volume.spec?.csi?.driver === STAND_IN_CSI_DRIVER ? volume.spec.csi.volumeHandle : undefined;
      if (!handle || !handle.startsWith(this.podmanVolumeName("")) || !claimRef?.name || !claimRef.namespace) continue;
      if (volume.status?.phase !== "Bound") continue;
      const mountpoint = await this.podman.volumeMountpoint(handle);
      if (mountpoint === undefined) continue;
      const { stdout } = await runFile("du", ["-s", "-B1", mountpoint]);
      stats.push({
        namespace: claimRef.namespace,
        claim: claimRef.name,
        usedBytes: Number(stdout.split(/\s/)[0]),
        capacityBytes: quantityValue(volume.spec?.capacity?.storage ?? "0"),
      });
    }
    return stats;
  }

  private async reclaim(volume: V1PersistentVolume): Promise<void> {
    const name = volume.metadata?.name;
    if (!name || volume.metadata?.annotations?.[PROVISIONED_BY] !== STAND_IN_CSI_DRIVER) return;
    if (volume.status?.phase !== "Released" || volume.spec?.persistentVolumeReclaimPolicy !== "Delete") return;
    const handle = volume.spec.csi?.volumeHandle;
    // Not forced: a volume still mounted by a pod stays until that pod is gone (the next update retries).
    if (handle) await this.podman.removeVolume(handle, false);
    await this.core.deletePersistentVolume({ name }).catch((error: unknown) => {
      if (errorStatus(error) !== 404) throw error;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.claims?.stop();
    await this.volumes?.stop();
    for (const volume of await this.podman.volumesLabelled("knitfab.test/stand-in-kubelet", this.instance)) {
      await this.podman.removeVolume(volume, true);
    }
  }
}
