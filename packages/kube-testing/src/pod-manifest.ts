import type { V1Container, V1EnvVar, V1Pod, V1Volume } from "@kubernetes/client-node";
import { envSourceValue, isEnvSourceReference, type EnvSources } from "./pod-env-sources.js";

/** A pod that the stand-in kubelet cannot run as asked; the message says which part. */
export class UnsupportedPodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedPodError";
  }
}

export interface PlayManifestInputs {
  readonly pod: V1Pod;
  /** The Podman pod's name (unique on the machine); containers become `<name>-<container>`. */
  readonly podmanPodName: string;
  /** Labels to put on the Podman pod, to find it again. */
  readonly labels: Readonly<Record<string, string>>;
  /** Podman volume name for each PersistentVolumeClaim the pod mounts, by claim name. */
  readonly claimVolumes: ReadonlyMap<string, string>;
  readonly nodeName: string;
  /** The Secrets and ConfigMaps the env names (readEnvSources); without them such env is refused. */
  readonly envSources?: EnvSources;
}

/**
 * Translates an API Pod into the Pod document that `podman kube play` runs:
 * - claims become the Podman volumes that the stand-in provisioner made for their PersistentVolumes;
 * - emptyDir and hostPath volumes pass through; the service-account token volume that the
 *   ServiceAccount admission plugin adds (`kube-api-access-*`, projected) is dropped with its
 *   mounts, since workloads here get no in-cluster API access;
 * - every image is played with imagePullPolicy Never: images come from the local store only;
 * - env values from the pod's own fields (downward API) are resolved here, and from Secrets and
 *   ConfigMaps read beforehand (pod-env-sources.ts);
 * - requests and limits of cpu and memory pass through (Podman enforces limits); extended
 *   resources such as nvidia.com/gpu are dropped, as the scheduler has already accounted for them.
 * Anything else that would change what runs (secret/configMap volumes, envFrom) is refused.
 */
export function podmanPlayManifest(inputs: PlayManifestInputs): string {
  const { pod } = inputs;
  const spec = pod.spec;
  if (!spec) throw new UnsupportedPodError("the pod has no spec");
  const dropped = new Set<string>();
  const renamed = new Map<string, string>();
  const volumes: V1Volume[] = [];
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) {
      const podmanVolume = inputs.claimVolumes.get(volume.persistentVolumeClaim.claimName);
      if (!podmanVolume) throw new UnsupportedPodError(`claim ${volume.persistentVolumeClaim.claimName} has no volume yet`);
      volumes.push({ name: volume.name, persistentVolumeClaim: { claimName: podmanVolume, readOnly: volume.persistentVolumeClaim.readOnly } });
    } else if (volume.emptyDir) {
      // Podman names an emptyDir's volume after it, so one pod's `tmp` would be every pod's `tmp`: a name of this pod's own.
      renamed.set(volume.name, `${inputs.podmanPodName}-${volume.name}`);
      volumes.push({ name: `${inputs.podmanPodName}-${volume.name}`, emptyDir: {} });
    } else if (volume.hostPath) {
      volumes.push({ name: volume.name, hostPath: volume.hostPath });
    } else if (volume.projected && volume.name.startsWith("kube-api-access-")) {
      dropped.add(volume.name);
    } else {
      const kind = Object.keys(volume).find((key) => key !== "name") ?? "unknown";
      throw new UnsupportedPodError(`volume ${volume.name} is of kind ${kind}, which the stand-in kubelet does not run`);
    }
  }
  const container = (source: V1Container): V1Container => {
    if (source.envFrom?.length) throw new UnsupportedPodError(`container ${source.name}: envFrom is not supported by the stand-in kubelet`);
    const limits = cpuAndMemory(source.resources?.limits);
    const requests = cpuAndMemory(source.resources?.requests);
    return {
      name: source.name,
      image: source.image,
      imagePullPolicy: "Never",
      command: source.command,
      args: source.args,
      workingDir: source.workingDir,
      env: source.env?.flatMap((env) => resolveEnv(env, pod, inputs.nodeName, source.name, inputs.envSources) ?? []),
      resources: limits || requests ? { limits, requests } : undefined,
      volumeMounts: source.volumeMounts
        ?.filter((mount) => !dropped.has(mount.name))
        .map((mount) => ({ name: renamed.get(mount.name) ?? mount.name, mountPath: mount.mountPath, readOnly: mount.readOnly, subPath: mount.subPath })),
      securityContext: source.securityContext,
    };
  };
  const metadataName = pod.metadata?.name ?? "";
  const manifest: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: inputs.podmanPodName, labels: { ...inputs.labels } },
    spec: {
      restartPolicy: spec.restartPolicy,
      // Inside the pod the host name is the API pod's name, as under a real kubelet.
      hostname: (spec.hostname ?? metadataName).slice(0, 63),
      securityContext: spec.securityContext,
      initContainers: spec.initContainers?.map(container),
      containers: spec.containers.map(container),
      volumes,
    },
  };
  return JSON.stringify(dropUndefined(manifest));
}

function cpuAndMemory(resources: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!resources) return undefined;
  const kept = Object.fromEntries(Object.entries(resources).filter(([name]) => name === "cpu" || name === "memory"));
  return Object.keys(kept).length ? kept : undefined;
}

/** The env entry with a plain value; undefined for an optional Secret's or ConfigMap's key that is not there. */
function resolveEnv(env: V1EnvVar, pod: V1Pod, nodeName: string, containerName: string, sources: EnvSources | undefined): V1EnvVar | undefined {
  if (!env.valueFrom) return { name: env.name, value: env.value ?? "" };
  if (isEnvSourceReference(env)) {
    const value = envSourceValue(env, sources);
    if (value !== undefined) return { name: env.name, value };
    if (sources && (env.valueFrom.secretKeyRef?.optional || env.valueFrom.configMapKeyRef?.optional)) return undefined;
    throw new UnsupportedPodError(`container ${containerName}: env ${env.name} names a Secret or ConfigMap key that was not read`);
  }
  const path = env.valueFrom.fieldRef?.fieldPath;
  const fields: Record<string, string | undefined> = {
    "metadata.name": pod.metadata?.name,
    "metadata.namespace": pod.metadata?.namespace,
    "metadata.uid": pod.metadata?.uid,
    "spec.nodeName": nodeName,
    "spec.serviceAccountName": pod.spec?.serviceAccountName,
    "status.hostIP": "127.0.0.1",
  };
  if (path && path in fields) return { name: env.name, value: fields[path] ?? "" };
  const label = path?.match(/^metadata\.(labels|annotations)\['(.+)'\]$/);
  if (label) {
    const source = label[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return { name: env.name, value: source?.[label[2] ?? ""] ?? "" };
  }
  throw new UnsupportedPodError(`container ${containerName}: env ${env.name} takes its value from a source the stand-in kubelet does not resolve`);
}

function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
