import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CoordinationV1Api,
  CoreV1Api,
  ListWatch,
  PatchStrategy,
  StorageV1Api,
  Watch,
  setHeaderOptions,
  type KubeConfig,
  type V1HostAlias,
  type V1Node,
  type V1Pod,
  type V1PodStatus,
  type V1Taint,
} from "@kubernetes/client-node";
import type { ControlPlane } from "./control-plane.js";
import { PodmanApi, type PodmanContainerSummary } from "./podman-api.js";
import { podmanPlayManifest, UnsupportedPodError } from "./pod-manifest.js";
import { readEnvSources, type EnvSources } from "./pod-env-sources.js";
import { writePodFiles } from "./pod-files.js";
import { machineAddress } from "./host-address.js";
import { ReadinessProbes } from "./readiness-probes.js";
import { derivePodStatus, sameStatus, type ObservedContainer, type WaitingReason } from "./pod-status.js";
import { StandInProvisioner, STAND_IN_CSI_DRIVER, type StandInStorageClassOptions } from "./stand-in-provisioner.js";
import { clientFor, errorStatus, nodeIdentity } from "./clients.js";
import { startKubeletServer, type ContainerLookup, type KubeletServer } from "./kubelet-server.js";

/** One simulated node. */
export interface StandInNodeOptions {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly V1Taint[];
  /** Capacity = allocatable, e.g. `{ cpu: "4", memory: "8Gi", "nvidia.com/gpu": "1" }`; cpu 8, memory 16Gi, pods 110 by default. */
  readonly allocatable?: Readonly<Record<string, string>>;
  /**
   * Completes every pod at once instead of playing it with Podman, as kwok does: Running, then
   * Succeeded with every container (init containers too) terminated with exit 0, reason Completed.
   * Volumes (claims, hostPath) are not looked at. For scale benchmarks; default false.
   */
  readonly instant?: boolean;
  /** See StandInKubeletOptions.serviceNames; a node's own setting wins. */
  readonly serviceNames?: boolean;
}

export interface StandInKubeletOptions {
  readonly controlPlane: ControlPlane;
  readonly nodes: readonly StandInNodeOptions[];
  /** Podman's API socket; default `$KNITFAB_PODMAN_SOCKET` or /run/knitfab/podman.sock. */
  readonly podmanSocket?: string;
  /** The storage class whose claims the stand-in provisioner binds (default: `stand-in`, the cluster's default class). */
  readonly storageClass?: StandInStorageClassOptions;
  /** How often Podman is asked about running pods (default 300 ms). */
  readonly pollMs?: number;
  /** Every node completes its pods at once (see StandInNodeOptions.instant); a node's own setting wins. */
  readonly instant?: boolean;
  /**
   * A STAND-IN for cluster DNS (none runs here): each pod's /etc/hosts maps the names of the
   * Services that exist when it starts (`<service>.<namespace>.svc.cluster.local`,
   * `<service>.<namespace>.svc`, `<service>.<namespace>`, and `<service>` for its own namespace) to
   * the nodes' address, where startStandInNodePorts with `servicePorts` serves each Service's port.
   * A Service made after the pod started is not resolved in it. Default false.
   */
  readonly serviceNames?: boolean;
}

export interface StandInKubelet {
  readonly nodeNames: readonly string[];
  readonly storageClassName: string;
  /** The Podman pod that runs an API pod (by the API pod's uid). */
  podmanPodName(podUid: string): string;
  /** The Podman volume behind a PersistentVolume made by the stand-in provisioner. */
  podmanVolumeName(persistentVolumeName: string): string;
  /** The port of its kubelet API (pod logs, volume metrics) on the nodes' address, in every node's status.daemonEndpoints. */
  readonly kubeletPort: number;
  /** Every node's InternalIP: this machine's first external IPv4 address, where the kubelet API listens. */
  readonly nodeAddress: string;
  /** Stops watching, removes every Podman pod and volume it made, and stops renewing node leases. */
  close(): Promise<void>;
}

/** Labels on every Podman pod and volume made by one stand-in kubelet, to find and remove them. */
export const STAND_IN_LABEL = "knitfab.test/stand-in-kubelet";

/** The cluster domain of the stand-in cluster DNS (serviceNames), a kubelet's default --cluster-domain. */
const CLUSTER_DOMAIN = "cluster.local";

const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

/**
 * A STAND-IN KUBELET for tests: no real kubelet runs here. It registers Node objects, keeps their
 * leases fresh, watches the pods the real scheduler binds to them and runs each with `podman kube
 * play` (images from the local Podman store only), writing the pod's status back as a kubelet does:
 * container states with exit codes and reasons, init container statuses, OOMKilled, ErrImagePull
 * then ImagePullBackOff for images that are not there, with the kubelet's events. A deleted pod's
 * containers are stopped and removed, then the pod object is finally deleted. Everything after
 * registration is done with each node's own identity (`system:node:<name>`), so the Node authoriser
 * and NodeRestriction apply as in a cluster. It also runs a stand-in provisioner for one storage class.
 */
export async function startStandInKubelet(options: StandInKubeletOptions): Promise<StandInKubelet> {
  const podman = new PodmanApi(options.podmanSocket ?? process.env.KNITFAB_PODMAN_SOCKET ?? "/run/knitfab/podman.sock");
  if (!(await podman.ping())) {
    throw new Error(`stand-in kubelet: Podman does not answer at ${podman.socketPath}; start it with scripts/podman-service.sh`);
  }
  if (options.nodes.length === 0) throw new Error("stand-in kubelet: give at least one node");
  const instance = randomBytes(4).toString("hex");
  const admin = options.controlPlane.adminConfig();
  const adminCore = admin.makeApiClient(CoreV1Api);
  const adminStorage = admin.makeApiClient(StorageV1Api);

  const nodes: NodeAgent[] = [];
  // One kubelet API for all its nodes: each node's address is this machine's with this port, and a
  // pod is found by namespace and name among the pods of every node.
  const address = machineAddress();
  const serving = options.controlPlane.kubeletServingCertificate(`stand-in-kubelet-${instance}`, options.nodes.map((node) => node.name), [address]);
  const server: KubeletServer = await startKubeletServer({
    address,
    podman,
    cert: serving.cert,
    key: serving.key,
    clientCa: options.controlPlane.caFile,
    clientUser: options.controlPlane.kubeletClientUser,
    // The provisioner is made after the server (it needs nothing from it); /metrics waits for it.
    metrics: async () => volumeMetrics(await provisionerReady),
    async lookup(namespace, pod, container) {
      for (const agent of nodes) {
        const found = await agent.lookupContainer(namespace, pod, container);
        if (found.found !== "no-pod") return found;
      }
      return { found: "no-pod" };
    },
  });
  let provisioner: StandInProvisioner;
  let provided: (provisioner: StandInProvisioner) => void = () => undefined;
  const provisionerReady = new Promise<StandInProvisioner>((resolve) => (provided = resolve));
  try {
    provisioner = await StandInProvisioner.start({ controlPlane: options.controlPlane, podman, instance, storageClass: options.storageClass });
    provided(provisioner);
  } catch (error) {
    await server.close();
    throw error;
  }
  // The files of the pods' token, secret and configMap volumes, one folder per pod.
  const podFiles = mkdtempSync(join(tmpdir(), "knitfab-stand-in-files-"));
  try {
    for (const node of options.nodes) {
      const agent = new NodeAgent({ ...node, instant: node.instant ?? options.instant ?? false, serviceNames: node.serviceNames ?? options.serviceNames ?? false }, options.controlPlane, podman, instance, options.pollMs ?? 300, address, server.port, podFiles);
      nodes.push(agent);
      await agent.register(adminCore, adminStorage);
    }
    for (const agent of nodes) await agent.start();
  } catch (error) {
    for (const agent of nodes) await agent.close();
    await provisioner.close();
    await server.close();
    rmSync(podFiles, { recursive: true, force: true });
    throw error;
  }
  return {
    kubeletPort: server.port,
    nodeAddress: address,
    nodeNames: options.nodes.map((node) => node.name),
    storageClassName: provisioner.storageClassName,
    podmanPodName: (uid) => podmanPodName(instance, uid),
    podmanVolumeName: (pv) => provisioner.podmanVolumeName(pv),
    async close() {
      await server.close();
      for (const agent of nodes) await agent.close();
      // Pods first: a volume in use cannot be removed.
      for (const pod of await podman.podsLabelled(STAND_IN_LABEL, instance)) await podman.removePod(pod);
      await provisioner.close();
      rmSync(podFiles, { recursive: true, force: true });
    },
  };
}

/**
 * The kubelet's volume statistics in Prometheus' text format. A real kubelet reports the volumes
 * mounted on its node; the stand-in serves all its nodes from one port, so it reports every claim
 * its provisioner bound (a consumer such as the volume expander picks the claims of its node).
 */
async function volumeMetrics(provisioner: StandInProvisioner): Promise<string> {
  const stats = await provisioner.volumeStats();
  const labels = (stat: { namespace: string; claim: string }) => `namespace="${stat.namespace}",persistentvolumeclaim="${stat.claim}"`;
  return [
    "# HELP kubelet_volume_stats_used_bytes [ALPHA] Number of used bytes in the volume",
    "# TYPE kubelet_volume_stats_used_bytes gauge",
    ...stats.map((stat) => `kubelet_volume_stats_used_bytes{${labels(stat)}} ${stat.usedBytes}`),
    "# HELP kubelet_volume_stats_capacity_bytes [ALPHA] Capacity in bytes of the volume",
    "# TYPE kubelet_volume_stats_capacity_bytes gauge",
    ...stats.map((stat) => `kubelet_volume_stats_capacity_bytes{${labels(stat)}} ${stat.capacityBytes}`),
    "",
  ].join("\n");
}

function podmanPodName(instance: string, uid: string): string {
  return `kubelet-${instance}-${uid}`;
}

class NodeAgent {
  readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly config: KubeConfig;
  /** Where pods reach the API server (KUBERNETES_SERVICE_HOST/PORT). */
  readonly apiServer: { readonly host: string; readonly port: number };
  private readonly workers = new Map<string, PodWorker>();
  private pods: ListWatch<V1Pod> | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly options: StandInNodeOptions,
    controlPlane: ControlPlane,
    readonly podman: PodmanApi,
    readonly instance: string,
    readonly pollMs: number,
    readonly address: string,
    readonly kubeletPort: number,
    readonly podFiles: string,
  ) {
    this.apiServer = controlPlane.inClusterEndpoint;
    this.config = clientFor(controlPlane.kubeconfigForUser(nodeIdentity(options.name)));
    this.core = this.config.makeApiClient(CoreV1Api);
    this.coordination = this.config.makeApiClient(CoordinationV1Api);
  }

  get name(): string {
    return this.options.name;
  }

  /**
   * The Node object, its labels and taints are made with administrator credentials, as an
   * administrator labels and taints nodes (a kubelet may not set every label on itself under
   * NodeRestriction); its CSINode says the stand-in CSI driver serves it.
   */
  async register(adminCore: CoreV1Api, adminStorage: StorageV1Api): Promise<void> {
    const resources = { cpu: "8", memory: "16Gi", pods: "110", "ephemeral-storage": "100Gi", ...this.options.allocatable };
    const node: V1Node = {
      metadata: {
        name: this.name,
        labels: {
          "kubernetes.io/hostname": this.name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          ...this.options.labels,
        },
        annotations: { "knitfab.test/stand-in-kubelet": "true" },
      },
      spec: { taints: this.options.taints ? [...this.options.taints] : undefined },
    };
    await adminCore.createNode({ body: node });
    await adminStorage.createCSINode({
      body: {
        metadata: { name: this.name, ownerReferences: [] },
        spec: { drivers: [{ name: STAND_IN_CSI_DRIVER, nodeID: this.name }] },
      },
    });
    const now = new Date();
    const condition = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    await this.core.patchNodeStatus(
      {
        name: this.name,
        body: {
          status: {
            capacity: resources,
            allocatable: resources,
            conditions: [
              condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "stand-in kubelet has sufficient memory available"),
              condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "stand-in kubelet has no disk pressure"),
              condition("PIDPressure", "False", "KubeletHasSufficientPID", "stand-in kubelet has sufficient PID available"),
              condition("Ready", "True", "KubeletReady", "stand-in kubelet (knitfab tests) is posting ready status"),
            ],
            addresses: [
              { type: "InternalIP", address: this.address },
              { type: "Hostname", address: this.name },
            ],
            // Where the API server reaches this node's kubelet API (at its InternalIP).
            // A patch body goes out as written: the API names this field `Port`, capitalised.
            daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
            nodeInfo: {
              architecture: "amd64",
              operatingSystem: "linux",
              osImage: "knitfab stand-in kubelet",
              kernelVersion: "",
              containerRuntimeVersion: "podman://4",
              kubeletVersion: "stand-in",
              kubeProxyVersion: "",
              machineID: "",
              systemUUID: "",
              bootID: "",
            },
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    await this.renewLease();
  }

  /**
   * Creates or renews the node's lease by server-side apply. renewTime is a MicroTime, which the
   * API server parses only with six fractional digits, so it is written here as text.
   */
  private async renewLease(): Promise<void> {
    const renewTime = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
    await this.coordination.patchNamespacedLease(
      {
        name: this.name,
        namespace: "kube-node-lease",
        fieldManager: "stand-in-kubelet",
        force: true,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.name, namespace: "kube-node-lease" },
          spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
  }

  async start(): Promise<void> {
    this.leaseTimer = setInterval(() => {
      // A missed renewal (the API server restarting) is retried at the next tick, as a kubelet does.
      this.renewLease().catch(() => undefined);
    }, RENEW_MS);
    const pods = new ListWatch<V1Pod>(
      "/api/v1/pods",
      new Watch(this.config),
      () => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${this.name}` }),
      false,
      undefined,
      `spec.nodeName=${this.name}`,
    );
    this.pods = pods;
    pods.on("add", (pod) => this.seen(pod));
    pods.on("update", (pod) => this.seen(pod));
    pods.on("delete", (pod) => this.gone(pod));
    pods.on("error", () => {
      // The watch ends on errors (an API server restart, say): list and watch again shortly.
      if (!this.closed) setTimeout(() => void pods.start().catch(() => undefined), 1000);
    });
    await pods.start();
  }

  /** The Podman container behind a container of one of this node's pods, for the kubelet API. */
  async lookupContainer(namespace: string, pod: string, container: string): Promise<ContainerLookup> {
    const worker = [...this.workers.values()].find((candidate) => candidate.is(namespace, pod));
    if (!worker) return { found: "no-pod" };
    const spec = worker.pod.spec;
    if (![...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].some((c) => c.name === container)) return { found: "no-container" };
    const summary = (await this.podman.podContainers(worker.podmanName)).find((c) => c.Names.includes(`${worker.podmanName}-${container}`));
    if (summary) return { found: "container", id: summary.Id };
    const statuses = [...(worker.pod.status?.initContainerStatuses ?? []), ...(worker.pod.status?.containerStatuses ?? [])];
    return { found: "not-started", message: statuses.find((s) => s.name === container)?.state?.waiting?.reason ?? "ContainerCreating" };
  }

  private seen(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.closed) return;
    let worker = this.workers.get(uid);
    if (!worker) {
      worker = new PodWorker(pod, this);
      this.workers.set(uid, worker);
      worker.run().finally(() => this.workers.delete(uid));
    } else {
      worker.update(pod);
    }
  }

  private gone(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const worker = this.workers.get(uid);
    if (worker) worker.vanished();
    else void this.podman.removePod(podmanPodName(this.instance, uid)).catch(() => undefined);
  }

  async writeStatus(pod: V1Pod, status: V1PodStatus): Promise<void> {
    await this.core.patchNamespacedPodStatus(
      { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", body: { metadata: { uid: pod.metadata?.uid }, status } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
  }

  /** The final delete of a pod whose containers are gone, as the kubelet does (grace period 0, this uid only). */
  async finalDelete(pod: V1Pod): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({
        name: pod.metadata?.name ?? "",
        namespace: pod.metadata?.namespace ?? "",
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
      });
    } catch (error) {
      if (errorStatus(error) !== 404 && errorStatus(error) !== 409) throw error;
    }
  }

  /** A kubelet-style event about the pod (reason and message as the real kubelet words them). */
  async event(pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string, container?: string): Promise<void> {
    const now = new Date();
    const namespace = pod.metadata?.namespace ?? "default";
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${pod.metadata?.name}.${randomBytes(8).toString("hex")}`, namespace },
          involvedObject: {
            apiVersion: "v1",
            kind: "Pod",
            namespace,
            name: pod.metadata?.name,
            uid: pod.metadata?.uid,
            ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
          },
          type,
          reason,
          message,
          source: { component: "kubelet", host: this.name },
          reportingComponent: "kubelet",
          reportingInstance: this.name,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch {
      // Events are best effort for a kubelet too.
    }
  }

  /**
   * The stand-in cluster DNS entries for a pod (see StandInKubeletOptions.serviceNames): every
   * Service's names, read as this node (a kubelet may list Services), mapped to the nodes' address.
   */
  async serviceAliases(pod: V1Pod): Promise<V1HostAlias[]> {
    if (!this.options.serviceNames) return [];
    const services = await this.core.listServiceForAllNamespaces();
    const hostnames: string[] = [];
    for (const service of services.items) {
      const name = service.metadata?.name;
      const namespace = service.metadata?.namespace;
      if (!name || !namespace || service.spec?.type === "ExternalName" || service.spec?.clusterIP === "None") continue;
      if (namespace === pod.metadata?.namespace) hostnames.push(name);
      hostnames.push(`${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`);
    }
    return hostnames.length ? [{ ip: this.address, hostnames }] : [];
  }

  /** The Secrets and ConfigMaps the pod's env names, read as this node. */
  envSources(pod: V1Pod): Promise<EnvSources | WaitingReason> {
    return readEnvSources(this.core, pod);
  }

  async readClaimVolume(namespace: string, claimName: string): Promise<string | WaitingReason> {
    try {
      const claim = await this.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace });
      const volumeName = claim.spec?.volumeName;
      if (!volumeName || claim.status?.phase !== "Bound") return { reason: "ContainerCreating", message: `claim ${claimName} is not bound yet` };
      const volume = await this.core.readPersistentVolume({ name: volumeName });
      const handle = volume.spec?.csi?.driver === STAND_IN_CSI_DRIVER ? volume.spec.csi.volumeHandle : undefined;
      if (!handle) {
        return { reason: "ContainerCreating", message: `volume ${volumeName} of claim ${claimName} was not made by the stand-in provisioner` };
      }
      return handle;
    } catch (error) {
      return { reason: "ContainerCreating", message: `claim ${claimName}: ${describe(error)}` };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.leaseTimer);
    await this.pods?.stop();
    for (const worker of this.workers.values()) worker.vanished();
    await Promise.all([...this.workers.values()].map((worker) => worker.finished));
  }
}

/** Drives one pod through Podman, from first sight to removal. */
class PodWorker {
  private latest: V1Pod;
  private deleted = false;
  private wake: (() => void) | undefined;
  private written: V1PodStatus | undefined;
  private readonly startTime = new Date().toISOString();
  readonly podmanName: string;
  private readonly reported = new Set<string>();
  // exec probes run in the pod's Podman container, `<podman pod>-<container>` (podman kube play's naming).
  private readonly readiness = new ReadinessProbes(Date.now, (container, command, timeoutMs) =>
    this.node.podman.execSucceeds(`${this.podmanName}-${container}`, command, timeoutMs),
  );
  finished: Promise<void> = Promise.resolve();

  constructor(
    pod: V1Pod,
    private readonly node: NodeAgent,
  ) {
    this.latest = pod;
    this.written = pod.status;
    this.podmanName = podmanPodName(node.instance, pod.metadata?.uid ?? "");
  }

  /** The folder of this pod's file volumes. */
  private get filesFolder(): string {
    return join(this.node.podFiles, this.podmanName);
  }

  /** The pod as last seen from the API server. */
  get pod(): V1Pod {
    return this.latest;
  }

  is(namespace: string, name: string): boolean {
    return this.latest.metadata?.namespace === namespace && this.latest.metadata?.name === name;
  }

  update(pod: V1Pod): void {
    this.latest = pod;
    this.wake?.();
  }

  vanished(): void {
    this.deleted = true;
    this.wake?.();
  }

  private get terminating(): boolean {
    return this.deleted || Boolean(this.latest.metadata?.deletionTimestamp);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  run(): Promise<void> {
    this.finished = this.lifecycle().catch((error: unknown) => {
      process.stderr.write(`stand-in kubelet (${this.node.name}): pod ${this.describePod()}: ${describe(error)}\n`);
    });
    return this.finished;
  }

  private describePod(): string {
    return `${this.latest.metadata?.namespace}/${this.latest.metadata?.name}`;
  }

  private async lifecycle(): Promise<void> {
    const phase = this.latest.status?.phase;
    if (phase !== "Succeeded" && phase !== "Failed") {
      if (this.node.options.instant) await this.completeAtOnce();
      else await this.runPod();
    }
    // Ended or never run: wait for the deletion, then clean up.
    while (!this.terminating) await this.sleep(5_000);
    await this.tearDown();
  }

  private async runPod(): Promise<void> {
    const pod = this.latest;
    const spec = pod.spec;
    if (!spec) return;
    const namespace = pod.metadata?.namespace ?? "default";
    const allContainers = [...(spec.initContainers ?? []), ...spec.containers];

    // 1. Volumes: each claim must be bound to a volume of the stand-in provisioner.
    const claimVolumes = new Map<string, string>();
    for (;;) {
      if (this.terminating) return;
      let blocked: WaitingReason | undefined;
      for (const volume of spec.volumes ?? []) {
        const claim = volume.persistentVolumeClaim?.claimName;
        if (!claim || claimVolumes.has(claim)) continue;
        const found = await this.node.readClaimVolume(namespace, claim);
        if (typeof found === "string") claimVolumes.set(claim, found);
        else blocked ??= found;
      }
      if (!blocked) break;
      await this.report("FailedMount", "Warning", "FailedMount", `stand-in kubelet: ${blocked.message}`);
      await this.publish(this.observation({ waiting: new Map(spec.containers.map((c) => [c.name, blocked])) }));
      await this.sleep(1000);
    }

    // 2. Files from the API (service-account token, secrets, configMaps), with the node's identity;
    // what cannot be read yet (a secret not there) is retried, as a kubelet's FailedMount.
    let fileVolumes: Map<string, string>;
    for (;;) {
      if (this.terminating) return;
      try {
        fileVolumes = await writePodFiles(this.node.core, pod, this.node.name, this.filesFolder);
        break;
      } catch (error) {
        if (error instanceof UnsupportedPodError) {
          const waiting: WaitingReason = { reason: "CreateContainerConfigError", message: `stand-in kubelet: ${error.message}` };
          await this.node.event(pod, "Warning", "Failed", `Error: ${waiting.message}`);
          await this.publish(this.observation({ waiting: new Map(allContainers.map((c) => [c.name, waiting])) }));
          return;
        }
        const message = `MountVolume.SetUp failed: ${describe(error)}`;
        await this.report(`FailedMount:${message}`, "Warning", "FailedMount", message);
        await this.publish(this.observation({ waiting: new Map(spec.containers.map((c) => [c.name, { reason: "ContainerCreating", message }])) }));
        await this.sleep(1000);
      }
    }

    // 3. Images: only the local Podman store. A missing one fails like a failed pull: ErrImagePull
    // at each try (with the kubelet's events), ImagePullBackOff while waiting for the next try.
    for (let attempt = 1; ; attempt += 1) {
      if (this.terminating) return;
      const missing = new Map<string, string>();
      for (const container of allContainers) {
        const image = container.image ?? "";
        if (!(await this.node.podman.imageExists(image))) missing.set(container.name, image);
      }
      if (missing.size === 0) break;
      const pulling = new Map<string, WaitingReason>();
      const backOff = new Map<string, WaitingReason>();
      for (const [name, image] of missing) {
        const message = `Failed to pull image "${image}": stand-in kubelet: the image is not in the local Podman store, and a stand-in kubelet never pulls`;
        if (attempt === 1) await this.node.event(pod, "Normal", "Pulling", `Pulling image "${image}"`, name);
        await this.node.event(pod, "Warning", "Failed", message, name);
        await this.node.event(pod, "Warning", "Failed", "Error: ErrImagePull", name);
        pulling.set(name, { reason: "ErrImagePull", message });
        backOff.set(name, { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` });
      }
      await this.publish(this.observation({ waiting: pulling }));
      await this.sleep(1000);
      if (this.terminating) return;
      for (const [name, image] of missing) {
        await this.node.event(pod, "Normal", "BackOff", `Back-off pulling image "${image}"`, name);
        await this.node.event(pod, "Warning", "Failed", "Error: ImagePullBackOff", name);
      }
      await this.publish(this.observation({ waiting: backOff }));
      await this.sleep(Math.min(5000 * attempt, 20_000));
    }

    // 4. Env from Secrets and ConfigMaps: a missing one keeps the pod waiting, as under a kubelet.
    let envSources: EnvSources;
    for (;;) {
      if (this.terminating) return;
      const read = await this.node.envSources(pod);
      if (!("reason" in read)) {
        envSources = read;
        break;
      }
      await this.report(`env:${read.message}`, "Warning", "Failed", `Error: ${read.message}`);
      await this.publish(this.observation({ waiting: new Map(allContainers.map((c) => [c.name, read])) }));
      await this.sleep(2000);
    }

    // 5. Play the pod and follow its containers until they have all ended.
    let hostAliases: V1HostAlias[];
    try {
      hostAliases = await this.node.serviceAliases(pod);
    } catch (error) {
      // Listing Services failed (the API server restarting): the pod plays without the names, as a pod whose DNS is down.
      await this.node.event(pod, "Warning", "DNSConfigForming", `stand-in kubelet: Service names not resolved in this pod: ${describe(error)}`);
      hostAliases = [];
    }
    let manifest: string;
    try {
      manifest = podmanPlayManifest({
        pod,
        podmanPodName: this.podmanName,
        labels: { [STAND_IN_LABEL]: this.node.instance, "knitfab.test/pod-uid": pod.metadata?.uid ?? "" },
        claimVolumes,
        fileVolumes,
        apiServer: this.node.apiServer,
        nodeName: this.node.name,
        envSources,
        hostAliases,
      });
    } catch (error) {
      if (!(error instanceof UnsupportedPodError)) throw error;
      const waiting: WaitingReason = { reason: "CreateContainerConfigError", message: `stand-in kubelet: ${error.message}` };
      await this.node.event(pod, "Warning", "Failed", `Error: ${waiting.message}`);
      await this.publish(this.observation({ waiting: new Map(allContainers.map((c) => [c.name, waiting])) }));
      return;
    }
    for (const container of allContainers) {
      await this.node.event(pod, "Normal", "Pulled", `Container image "${container.image}" already present on machine`, container.name);
    }
    const play: { state: "playing" | "done" | { error: string } } = { state: "playing" };
    void this.node.podman.playKube(manifest).then(
      () => {
        play.state = "done";
        this.wake?.();
      },
      (error: unknown) => {
        play.state = { error: describe(error) };
        this.wake?.();
      },
    );
    for (;;) {
      const state = play.state;
      const observation = await this.observe(state === "done");
      const { status, stored } = await this.publish(observation);
      // Done once the API server has the final status; until then keep observing and writing.
      if ((status.phase === "Succeeded" || status.phase === "Failed") && stored) break;
      if (typeof state === "object" && !/init container/.test(state.error)) {
        // Podman refused the pod itself (not an init container's failure, which the observation shows).
        const waiting: WaitingReason = { reason: "CreateContainerError", message: `podman kube play: ${state.error}` };
        await this.node.event(pod, "Warning", "Failed", `Error: ${waiting.message}`);
        await this.publish(this.observation({ waiting: new Map(allContainers.map((c) => [c.name, waiting])) }));
        await this.node.podman.removePod(this.podmanName);
        return;
      }
      if (this.terminating) return;
      await this.sleep(this.node.pollMs);
    }
    // Free the sandbox; the stopped containers stay until the pod is deleted, as under a kubelet.
    await this.node.podman.stopPod(this.podmanName, 0).catch(() => undefined);
  }

  /**
   * An instant node (kwok-like): no Podman pod, no volume; the pod is reported Running, then
   * Succeeded with every container exited 0. A write that fails (an API outage) is tried again.
   */
  private async completeAtOnce(): Promise<void> {
    const spec = this.latest.spec;
    if (!spec) return;
    const uid = this.latest.metadata?.uid ?? "";
    const container = (name: string, state: "running" | "exited"): ObservedContainer => {
      const now = new Date().toISOString();
      return { id: `instant-${uid}-${name}`, state, exitCode: 0, oomKilled: false, memoryLimited: false, startedAt: this.startTime, ...(state === "exited" ? { finishedAt: now } : {}) };
    };
    const observed = (state: "running" | "exited") => ({
      ...this.observation(),
      init: new Map((spec.initContainers ?? []).map((c) => [c.name, container(c.name, "exited")])),
      main: new Map(spec.containers.map((c) => [c.name, container(c.name, state)])),
      initDone: true,
      sandbox: state === "running",
    });
    for (const state of ["running", "exited"] as const) {
      for (;;) {
        if (this.terminating) return;
        if ((await this.publish(observed(state))).stored) break;
        await this.sleep(1000);
      }
    }
  }

  private observation(parts: { waiting?: Map<string, WaitingReason> } = {}) {
    return {
      init: new Map<string, ObservedContainer>(),
      main: new Map<string, ObservedContainer>(),
      initDone: false,
      waiting: parts.waiting ?? new Map<string, WaitingReason>(),
      sandbox: false,
      startTime: this.startTime,
    };
  }

  private async observe(initDone: boolean, stopping = false) {
    const spec = this.latest.spec;
    const containers = await this.node.podman.podContainers(this.podmanName);
    const byName = (name: string): PodmanContainerSummary | undefined =>
      containers.find((container) => container.Names.includes(`${this.podmanName}-${name}`));
    const inspect = async (summary: PodmanContainerSummary | undefined): Promise<ObservedContainer | undefined> => {
      if (!summary) return undefined;
      try {
        const details = await this.node.podman.inspectContainer(summary.Id);
        return {
          id: details.Id,
          state: details.State.Status,
          exitCode: details.State.ExitCode,
          oomKilled: details.State.OOMKilled,
          memoryLimited: (details.HostConfig?.Memory ?? 0) > 0,
          startedAt: validTime(details.State.StartedAt),
          finishedAt: validTime(details.State.FinishedAt),
        };
      } catch {
        return undefined; // removed in between (an init container that succeeded)
      }
    };
    const init = new Map<string, ObservedContainer>();
    for (const container of spec?.initContainers ?? []) {
      const observed = await inspect(byName(container.name));
      if (observed) init.set(container.name, observed);
    }
    const main = new Map<string, ObservedContainer>();
    for (const container of spec?.containers ?? []) {
      const observed = await inspect(byName(container.name));
      if (observed) main.set(container.name, observed);
    }
    const infra = containers.find((container) => container.IsInfra);
    let podIP: string | undefined;
    if (infra) {
      const details = await this.node.podman.inspectContainer(infra.Id).catch(() => undefined);
      podIP = details?.NetworkSettings?.IPAddress || Object.values(details?.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
    }
    // Readiness probes against the pod's IP (this machine reaches Podman's bridge), as a kubelet runs them.
    const running = new Map([...main].filter(([, container]) => container.state === "running").map(([name, container]) => [name, Date.parse(container.startedAt ?? "") || Date.now()]));
    const unready = await this.readiness.unready(spec?.containers ?? [], running, podIP);
    const observation = { init, main, initDone, waiting: new Map<string, WaitingReason>(), sandbox: Boolean(infra), startTime: this.startTime, unready, ...(podIP ? { podIP } : {}) };
    return { observation, stopping };
  }

  /**
   * Writes the status when it changed, with kubelet events for starts and ends; returns it, and
   * whether the API server now has it (a write fails while the API server restarts, say).
   */
  private async publish(
    input: ReturnType<PodWorker["observation"]> | { observation: ReturnType<PodWorker["observation"]>; stopping: boolean },
  ): Promise<{ status: V1PodStatus; stored: boolean }> {
    const { observation, stopping } = "observation" in input ? input : { observation: input, stopping: false };
    const status = derivePodStatus(this.latest, observation, new Date().toISOString(), stopping);
    // Keep the transition time of conditions that did not change.
    for (const condition of status.conditions ?? []) {
      const before = this.written?.conditions?.find((old) => old.type === condition.type);
      if (before && before.status === condition.status && before.lastTransitionTime) condition.lastTransitionTime = before.lastTransitionTime;
    }
    for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
      if (container.state?.running && !this.reported.has(`started:${container.name}`)) {
        this.reported.add(`started:${container.name}`);
        await this.node.event(this.latest, "Normal", "Started", `Started container ${container.name}`, container.name);
      }
      if (container.state?.terminated?.reason === "OOMKilled" && !this.reported.has(`oom:${container.name}`)) {
        this.reported.add(`oom:${container.name}`);
        await this.node.event(this.latest, "Warning", "OOMKilled", `Container ${container.name} was killed: out of memory`, container.name);
      }
    }
    if (!sameStatus(this.written, status)) {
      try {
        await this.node.writeStatus(this.latest, status);
        this.written = status;
      } catch (error) {
        // A pod deleted meanwhile (404) or a passing API outage: the caller tries again.
        if (errorStatus(error) === 404) return { status, stored: true };
        if (process.env.KNITFAB_KUBE_VERBOSE) process.stderr.write(`stand-in kubelet: status of ${this.describePod()}: ${describe(error)}\n`);
        return { status, stored: false };
      }
    }
    return { status, stored: true };
  }

  private async report(key: string, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    await this.node.event(this.latest, type, reason, message);
  }

  /**
   * Removes the Podman pod, trying again as a kubelet does: Podman sometimes cannot remove a
   * stopped container at once (its shm mount still busy: EBUSY), and a pod left behind would keep
   * the API's pod terminating for ever. The last failure is thrown after 10 tries a second apart.
   */
  private async removeRetrying(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.node.podman.removePod(this.podmanName);
        return;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Stops the containers within the pod's grace period, records how they ended, removes them, deletes the pod. */
  private async tearDown(): Promise<void> {
    const grace = Math.min(this.latest.metadata?.deletionGracePeriodSeconds ?? 30, 30);
    const exists = await this.node.podman.podExists(this.podmanName).catch(() => false);
    if (exists) {
      const phase = this.written?.phase;
      if (!this.deleted && phase !== "Succeeded" && phase !== "Failed") {
        await this.node.event(this.latest, "Normal", "Killing", "Stopping pod (stand-in kubelet)");
        await this.node.podman.stopPod(this.podmanName, grace).catch(() => undefined);
        const { observation } = await this.observe(true);
        // Killed by the kubelet: exit 137 here is not an OOM kill, and the containers count as ended.
        await this.publish({ observation, stopping: true }).catch(() => undefined);
      }
      await this.removeRetrying();
    }
    rmSync(this.filesFolder, { recursive: true, force: true });
    if (!this.deleted) await this.node.finalDelete(this.latest);
  }
}

function validTime(value: string | undefined): string | undefined {
  return value && !value.startsWith("0001-") ? value : undefined;
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
