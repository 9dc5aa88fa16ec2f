import type { V1Container, V1EnvVar, V1HostAlias, V1Pod, V1Volume } from "@kubernetes/client-node";
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
  /** The folder on this machine holding the files of each file volume (see pod-files.ts), by volume name. */
  readonly fileVolumes?: ReadonlyMap<string, string>;
  /** Where containers reach the API server: set as KUBERNETES_SERVICE_HOST and _PORT in every container, as a kubelet does. */
  readonly apiServer?: { readonly host: string; readonly port: number };
  readonly nodeName: string;
  /** The Secrets and ConfigMaps the env names (readEnvSources); without them such env is refused. */
  readonly envSources?: EnvSources;
  /** Entries of the pod's /etc/hosts besides its own spec.hostAliases (the stand-in cluster DNS). */
  readonly hostAliases?: readonly V1HostAlias[];
}

/** A volume whose files a kubelet writes from the API: projected (service-account tokens), secret, configMap, downward API. */
export function isFileVolume(volume: V1Volume): boolean {
  return Boolean(volume.projected || volume.secret || volume.configMap || volume.downwardAPI);
}

/**
 * Translates an API Pod into the Pod document that `podman kube play` runs:
 * - claims become the Podman volumes that the stand-in provisioner made for their PersistentVolumes;
 * - emptyDir and hostPath volumes pass through; volumes whose files come from the API (the
 *   service-account token, CA and namespace that the ServiceAccount admission plugin adds as
 *   `kube-api-access-*`, secrets, configMaps, downward API) become read-only hostPath mounts of the
 *   folders the stand-in kubelet wrote them into (`fileVolumes`);
 * - every container gets KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (`apiServer`), so
 *   in-cluster clients reach the API server with the mounted token;
 * - spec.hostAliases pass through, with `hostAliases` (Service names of the stand-in cluster DNS) after them;
 * - every image is played with imagePullPolicy Never: images come from the local store only;
 * - env values from the pod's own fields (downward API) are resolved here, and from Secrets and
 *   ConfigMaps read beforehand (pod-env-sources.ts);
 * - requests and limits of cpu and memory pass through (Podman enforces limits); extended
 *   resources such as nvidia.com/gpu are dropped, as the scheduler has already accounted for them.
 * Anything else that would change what runs (envFrom, other volume kinds) is refused.
 */
export function podmanPlayManifest(inputs: PlayManifestInputs): string {
  const { pod } = inputs;
  const spec = pod.spec;
  if (!spec) throw new UnsupportedPodError("the pod has no spec");
  const fileVolumes = new Set<string>();
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
    } else if (isFileVolume(volume)) {
      const folder = inputs.fileVolumes?.get(volume.name);
      if (!folder) throw new UnsupportedPodError(`volume ${volume.name}: its files were not written`);
      volumes.push({ name: volume.name, hostPath: { path: folder, type: "Directory" } });
      fileVolumes.add(volume.name);
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
      env: containerEnv(source, pod, inputs),
      resources: limits || requests ? { limits, requests } : undefined,
      // File volumes are read-only for containers, as a kubelet mounts them.
      volumeMounts: source.volumeMounts?.map((mount) => ({
        name: renamed.get(mount.name) ?? mount.name,
        mountPath: mount.mountPath,
        readOnly: fileVolumes.has(mount.name) ? true : mount.readOnly,
        subPath: mount.subPath,
      })),
      securityContext: source.securityContext,
    };
  };
  const metadataName = pod.metadata?.name ?? "";
  const hostAliases = [...(spec.hostAliases ?? []), ...(inputs.hostAliases ?? [])];
  const manifest: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: inputs.podmanPodName, labels: { ...inputs.labels } },
    spec: {
      restartPolicy: spec.restartPolicy,
      // Inside the pod the host name is the API pod's name, as under a real kubelet.
      hostname: (spec.hostname ?? metadataName).slice(0, 63),
      hostAliases: hostAliases.length ? hostAliases : undefined,
      securityContext: spec.securityContext,
      initContainers: spec.initContainers?.map(container),
      containers: spec.containers.map(container),
      volumes,
    },
  };
  return JSON.stringify(dropUndefined(manifest));
}

function containerEnv(source: V1Container, pod: V1Pod, inputs: PlayManifestInputs): V1EnvVar[] | undefined {
  const own = source.env?.flatMap((env) => resolveEnv(env, pod, inputs.nodeName, source.name, inputs.envSources) ?? []) ?? [];
  const api = inputs.apiServer;
  if (!api) return source.env ? own : undefined;
  // A kubelet sets these for every container, whatever enableServiceLinks says; the container's own win.
  const named = new Set(own.map((env) => env.name));
  const service = [
    { name: "KUBERNETES_SERVICE_HOST", value: api.host },
    { name: "KUBERNETES_SERVICE_PORT", value: String(api.port) },
  ].filter((env) => !named.has(env.name));
  return [...own, ...service];
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
