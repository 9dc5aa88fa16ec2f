import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import type { CoreV1Api, V1KeyToPath, V1Pod, V1Volume } from "@kubernetes/client-node";
import { isFileVolume, UnsupportedPodError } from "./pod-manifest.js";

/**
 * What a kubelet writes into files for a pod, as the stand-in kubelet does it: the volumes whose
 * content comes from the API (projected service-account tokens with the cluster CA and the
 * namespace, which the ServiceAccount admission plugin adds as `kube-api-access-*`; Secrets;
 * ConfigMaps; downward API) become folders on this machine, which the played pod mounts as hostPath.
 * Everything is read with the node's own identity, so the Node authoriser decides as in a cluster:
 * a node gets a token only for the service account of a pod bound to it (TokenRequest bound to that
 * pod), and only the Secrets and ConfigMaps its pods name.
 *
 * Unlike a kubelet, the files are written once, when the pod starts: a token is not refreshed
 * (its default lifetime, about an hour, outlasts every test pod).
 */

/** Writes the content of every file volume of `pod` under `folder/<volume name>/`; returns those folders by volume name. */
export async function writePodFiles(core: CoreV1Api, pod: V1Pod, nodeName: string, folder: string): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    if (!isFileVolume(volume)) continue;
    const files = await volumeFiles(core, pod, nodeName, volume);
    const root = join(folder, volume.name);
    mkdirSync(root, { recursive: true, mode: 0o755 });
    for (const [path, file] of files) {
      const target = join(root, safeRelative(path, volume.name));
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, file.content);
      chmodSync(target, file.mode);
    }
    written.set(volume.name, root);
  }
  return written;
}

interface PodFile {
  readonly content: string | Buffer;
  readonly mode: number;
}

async function volumeFiles(core: CoreV1Api, pod: V1Pod, nodeName: string, volume: V1Volume): Promise<Map<string, PodFile>> {
  const namespace = pod.metadata?.namespace ?? "default";
  const files = new Map<string, PodFile>();
  const add = (path: string, content: string | Buffer, mode: number | undefined, defaultMode: number | undefined) =>
    files.set(path, { content, mode: mode ?? defaultMode ?? 0o644 });
  if (volume.secret) {
    const name = volume.secret.secretName ?? "";
    const secret = await readOr(core.readNamespacedSecret({ name, namespace }), volume.secret.optional, `secret ${name}`);
    const data = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64")]));
    for (const [path, content, mode] of selected(data, volume.secret.items, `secret ${name}`)) add(path, content, mode, volume.secret.defaultMode);
  } else if (volume.configMap) {
    const name = volume.configMap.name ?? "";
    const map = await readOr(core.readNamespacedConfigMap({ name, namespace }), volume.configMap.optional, `configMap ${name}`);
    for (const [path, content, mode] of selected(map?.data ?? {}, volume.configMap.items, `configMap ${name}`)) add(path, content, mode, volume.configMap.defaultMode);
  } else if (volume.downwardAPI) {
    for (const item of volume.downwardAPI.items ?? []) add(item.path, downwardValue(pod, nodeName, item.fieldRef?.fieldPath, volume.name), item.mode, volume.downwardAPI.defaultMode);
  } else if (volume.projected) {
    const defaultMode = volume.projected.defaultMode;
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const token = await requestToken(core, pod, source.serviceAccountToken.audience, source.serviceAccountToken.expirationSeconds);
        add(source.serviceAccountToken.path, token, undefined, defaultMode);
      } else if (source.configMap) {
        const name = source.configMap.name ?? "";
        const map = await readOr(core.readNamespacedConfigMap({ name, namespace }), source.configMap.optional, `configMap ${name}`);
        for (const [path, content, mode] of selected(map?.data ?? {}, source.configMap.items, `configMap ${name}`)) add(path, content, mode, defaultMode);
      } else if (source.secret) {
        const name = source.secret.name ?? "";
        const secret = await readOr(core.readNamespacedSecret({ name, namespace }), source.secret.optional, `secret ${name}`);
        const data = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64")]));
        for (const [path, content, mode] of selected(data, source.secret.items, `secret ${name}`)) add(path, content, mode, defaultMode);
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? []) add(item.path, downwardValue(pod, nodeName, item.fieldRef?.fieldPath, volume.name), item.mode, defaultMode);
      } else {
        throw new UnsupportedPodError(`volume ${volume.name} projects a source the stand-in kubelet does not write`);
      }
    }
  }
  return files;
}

/**
 * A token for the pod's service account, bound to the pod, as the kubelet requests it: the
 * audience defaults to the API server's own, the lifetime to what the pod asks (the admission
 * plugin's kube-api-access asks 3607 s).
 */
async function requestToken(core: CoreV1Api, pod: V1Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string> {
  const namespace = pod.metadata?.namespace ?? "default";
  const account = pod.spec?.serviceAccountName ?? "default";
  const response = await core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: {
      spec: {
        ...(audience ? { audiences: [audience] } : { audiences: [] }),
        ...(expirationSeconds ? { expirationSeconds } : {}),
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, uid: pod.metadata?.uid },
      },
    },
  });
  const token = response.status?.token;
  if (!token) throw new Error(`the API server returned no token for service account ${namespace}/${account}`);
  return token;
}

async function readOr<T>(read: Promise<T>, optional: boolean | undefined, what: string): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (optional) return undefined;
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Every key as a file of its name, or only the listed items at their paths; a listed key that is missing is an error. */
function selected(data: Record<string, string | Buffer>, items: readonly V1KeyToPath[] | undefined, what: string): Array<[string, string | Buffer, number | undefined]> {
  if (!items) return Object.entries(data).map(([key, value]) => [key, value, undefined]);
  return items.map((item) => {
    const value = data[item.key];
    if (value === undefined) throw new Error(`${what} has no key ${item.key}`);
    return [item.path, value, item.mode];
  });
}

function downwardValue(pod: V1Pod, nodeName: string, fieldPath: string | undefined, volumeName: string): string {
  const fields: Record<string, string | undefined> = {
    "metadata.name": pod.metadata?.name,
    "metadata.namespace": pod.metadata?.namespace,
    "metadata.uid": pod.metadata?.uid,
    "spec.nodeName": nodeName,
    "spec.serviceAccountName": pod.spec?.serviceAccountName,
  };
  if (fieldPath && fieldPath in fields) return fields[fieldPath] ?? "";
  const label = fieldPath?.match(/^metadata\.(labels|annotations)$/);
  if (label) {
    const source = label[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return Object.entries(source ?? {})
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join("\n");
  }
  throw new UnsupportedPodError(`volume ${volumeName}: the downward API field ${fieldPath} is not one the stand-in kubelet writes`);
}

/** A path inside the volume (the API server validates these too; a file outside the folder is never written). */
function safeRelative(path: string, volumeName: string): string {
  const normal = normalize(path);
  if (normal.startsWith("/") || normal === ".." || normal.startsWith("../")) {
    throw new UnsupportedPodError(`volume ${volumeName}: file path ${path} leads outside the volume`);
  }
  return normal;
}
