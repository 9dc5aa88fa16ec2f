/**
 * The worker Job of a run, in the reference's shape (spec/loops.md §8.1), as a plain object: no
 * network here, so the shape is unit-tested and the API server validates it again on create.
 */
import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1Job,
  V1NodeSelectorRequirement,
  V1PreferredSchedulingTerm,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { DataVolume } from "../../volume.js";
import { WORKER_LABELS, workerName, type NodeLabel, type NodePlacement, type WorkerSpec } from "../worker-runtime.js";

export interface WorkerJobOptions {
  namespace: string;
  /** The workers' PriorityClass (the reference's chart makes `knit-worker-priority`); none when undefined. */
  priorityClassName?: string;
  /**
   * The image of the init container that checks the outputs are empty. It needs `sh` and `ls`.
   * Default: the run's own image, which is on the node already (no registry pull just for the check).
   */
  helperImage?: string;
  /** The log sidecar; without it the run's log is read through the API by the server instead. */
  nurse?: NurseOptions;
}

/**
 * The log sidecar (spec/loops.md §8.1, §8.2): a `nurse` container beside `main` that follows main's
 * log through the API and writes it into the log Data's claim, inside the pod.
 */
export interface NurseOptions {
  /** An image whose entrypoint is the server binary (`knitfab nurse ...`): the data agents' image. */
  image: string;
  /**
   * A Secret of type kubernetes.io/service-account-token of a service account allowed `get` on pods
   * and pods/log in the namespace (the chart's `knit-nurse-secret` of `knit-nurse`). The nurse gets
   * its own credentials, mounted in its container only: the task's own service account (or none)
   * is the plan's business and is never widened for the log.
   */
  secretName: string;
}

/** The log sidecar container, and the path of the log file in it (the reference's `/log/log`). */
export const NURSE_CONTAINER = "nurse";
export const NURSE_LOG_FOLDER = "/log";
export const NURSE_LOG_FILE = "/log/log";
/** Where in-cluster clients look for their token, CA and namespace. */
const SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Whether a worker with this log volume gets a nurse: only a claim, which the pod mounts wherever it runs. */
export function nurseRecordsLog(options: Pick<WorkerJobOptions, "nurse">, log: DataVolume | undefined): boolean {
  return options.nurse !== undefined && log?.kind === "claim";
}

/** The name of the container running the user's task; messages and the log API name it. */
export const MAIN_CONTAINER = "main";
/** The init container asserting every output folder is empty (the reference's `init-main`). */
export const INIT_CONTAINER = "init-main";

/**
 * Fails when any argument is not an empty folder: a run never writes over what another attempt
 * left, so a Data is the output of exactly one task.
 */
const ASSERT_EMPTY = 'for d in "$@"; do if [ ! -d "$d" ] || [ -n "$(ls -A "$d")" ]; then echo "output $d is not an empty folder" >&2; exit 1; fi; done';

export function workerJob(spec: WorkerSpec, options: WorkerJobOptions): V1Job {
  const name = workerName(spec.runId);
  const volumes: V1Volume[] = [];
  const mainMounts: V1VolumeMount[] = [];
  const outputMounts: V1VolumeMount[] = [];
  spec.mounts.forEach((mount, index) => {
    const volumeName = `${mount.readOnly ? "in" : "out"}-${index}`;
    volumes.push(podVolume(volumeName, mount.volume, mount.readOnly));
    mainMounts.push({ name: volumeName, mountPath: mount.target, ...(mount.readOnly ? { readOnly: true } : {}) });
    // The check reads the outputs only.
    if (!mount.readOnly) outputMounts.push({ name: volumeName, mountPath: mount.target, readOnly: true });
  });

  const main: V1Container = {
    name: MAIN_CONTAINER,
    image: spec.image,
    ...(spec.entrypoint.length > 0 ? { command: spec.entrypoint } : {}),
    ...(spec.args.length > 0 ? { args: spec.args } : {}),
    ...(Object.keys(spec.env).length > 0 ? { env: envOf(spec.env) } : {}),
    ...(mainMounts.length > 0 ? { volumeMounts: mainMounts } : {}),
    // Limits only, as the reference: with no requests Kubernetes takes the limits as requests, so
    // the scheduler counts them (nvidia.com/gpu included).
    ...(Object.keys(spec.resources).length > 0 ? { resources: { limits: { ...spec.resources } } } : {}),
  };
  const init: V1Container[] =
    outputMounts.length === 0
      ? []
      : [
          {
            name: INIT_CONTAINER,
            image: options.helperImage ?? spec.image,
            // Never a registry pull only for the check: the run's image is on the node by now, or
            // the helper image is pre-loaded by the administrator.
            imagePullPolicy: "IfNotPresent",
            command: ["sh", "-c", ASSERT_EMPTY, INIT_CONTAINER, ...outputMounts.map((mount) => mount.mountPath)],
            volumeMounts: outputMounts,
            resources: { limits: { cpu: "50m", memory: "100Mi" } },
          },
        ];

  const containers: V1Container[] = [main];
  if (options.nurse && spec.log && nurseRecordsLog(options, spec.log)) {
    // The secret first, as the reference lists it; the log claim writable for the nurse only.
    volumes.unshift({ name: "serviceaccount", secret: { secretName: options.nurse.secretName } });
    volumes.push(podVolume("log", spec.log, false));
    containers.push(nurseContainer(options.nurse));
  }

  const labels = {
    ...spec.labels,
    [WORKER_LABELS.runId]: spec.runId,
    [WORKER_LABELS.planId]: spec.planId,
    [WORKER_LABELS.worker]: "true",
  };
  const affinity = affinityOf(spec.onNode);
  const tolerations = tolerationsOf(spec.onNode);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: options.namespace, labels },
    spec: {
      parallelism: 1,
      backoffLimit: 0,
      template: {
        // The pods carry the worker labels too, so a pod is found from a run without its Job.
        metadata: { labels: { [WORKER_LABELS.runId]: spec.runId, [WORKER_LABELS.worker]: "true" } },
        spec: {
          restartPolicy: "Never",
          enableServiceLinks: false,
          ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
          ...(spec.serviceAccount ? { serviceAccountName: spec.serviceAccount } : {}),
          // A token only for a task that runs under a service account of its plan (the reference's rule).
          automountServiceAccountToken: Boolean(spec.serviceAccount),
          ...(tolerations.length > 0 ? { tolerations } : {}),
          ...(affinity ? { affinity } : {}),
          ...(init.length > 0 ? { initContainers: init } : {}),
          containers,
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  };
}

/**
 * `knitfab nurse main /log/log` with the pod's name and namespace from the downward API. It ends by
 * itself once main has ended and its log is written, so the pod (and the Job) end with main.
 * Requests as the reference's limits; the limits leave node (about 150 MB with the bundle) room to start quickly.
 */
function nurseContainer(nurse: NurseOptions): V1Container {
  return {
    name: NURSE_CONTAINER,
    image: nurse.image,
    imagePullPolicy: "IfNotPresent",
    args: ["nurse", MAIN_CONTAINER, NURSE_LOG_FILE],
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ],
    volumeMounts: [
      { name: "log", mountPath: NURSE_LOG_FOLDER },
      { name: "serviceaccount", mountPath: SERVICE_ACCOUNT_PATH, readOnly: true },
    ],
    resources: { requests: { cpu: "50m", memory: "100Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    // As the data agents: the log file was made by one (as root), and the nurse appends to it.
    securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false },
  };
}

/**
 * A claim is mounted by name. A host folder (the local store's Data) becomes a hostPath volume:
 * that works on a single-machine cluster whose node is the machine the server stores on (or where
 * that folder is shared at the same path on every node); on any other cluster use a claim store.
 */
function podVolume(name: string, volume: DataVolume, readOnly: boolean): V1Volume {
  switch (volume.kind) {
    case "claim":
      return { name, persistentVolumeClaim: { claimName: volume.claimName, ...(readOnly ? { readOnly: true } : {}) } };
    case "host-folder":
      return { name, hostPath: { path: volume.path, type: "Directory" } };
  }
}

function envOf(env: Record<string, string>): V1EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/**
 * on_node as the seed's §1.2.1.3 says: `may` tolerates NoSchedule taints of the label; `prefer` and
 * `must` tolerate NoSchedule and PreferNoSchedule ones. The same label serves as taint and node label.
 */
export function tolerationsOf(onNode: NodePlacement): V1Toleration[] {
  const tolerations: V1Toleration[] = [];
  const seen = new Set<string>();
  const add = (label: NodeLabel, effect: "NoSchedule" | "PreferNoSchedule") => {
    const key = JSON.stringify([label.key, label.value, effect]);
    if (seen.has(key)) return;
    seen.add(key);
    tolerations.push({ key: label.key, operator: "Equal", value: label.value, effect });
  };
  for (const label of onNode.may) add(label, "NoSchedule");
  for (const label of [...onNode.prefer, ...onNode.must]) {
    add(label, "NoSchedule");
    add(label, "PreferNoSchedule");
  }
  return tolerations;
}

/**
 * `prefer` → preferred node affinity, one term per label key (its values OR'ed); `must` → one
 * required term: keys AND'ed, values of a key OR'ed (the same reading as the docker runtime's
 * placement.ts).
 */
export function affinityOf(onNode: NodePlacement): V1Affinity | undefined {
  const preferred: V1PreferredSchedulingTerm[] = byKey(onNode.prefer).map((requirement) => ({ weight: 1, preference: { matchExpressions: [requirement] } }));
  const required = byKey(onNode.must);
  if (preferred.length === 0 && required.length === 0) return undefined;
  return {
    nodeAffinity: {
      ...(required.length > 0 ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: required }] } } : {}),
      ...(preferred.length > 0 ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
    },
  };
}

function byKey(labels: readonly NodeLabel[]): V1NodeSelectorRequirement[] {
  const values = new Map<string, string[]>();
  for (const { key, value } of labels) {
    const known = values.get(key) ?? [];
    if (!known.includes(value)) known.push(value);
    values.set(key, known);
  }
  return [...values].map(([key, vals]) => ({ key, operator: "In", values: vals }));
}
