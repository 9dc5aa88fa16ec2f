import type { CoreV1Api, V1EnvVar, V1Pod } from "@kubernetes/client-node";
import { errorStatus } from "./clients.js";
import type { WaitingReason } from "./pod-status.js";

/**
 * The Secrets and ConfigMaps that a pod's env takes values from (`secretKeyRef`, `configMapKeyRef`),
 * read as a kubelet reads them: with the node's own identity, so the Node authoriser lets a node
 * read only what its pods name. `podman kube play` does not resolve these references against the
 * API server (it knows nothing of it), so the stand-in kubelet resolves them and plays plain values.
 */
export interface EnvSources {
  /** Each Secret's data, decoded, by name (absent: optional and missing). */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * Reads every Secret and ConfigMap the pod's containers' env names. A missing one, or a missing key,
 * that is not optional keeps the pod waiting with CreateContainerConfigError, as a kubelet words it
 * (the caller tries again: the Secret may be created after the pod).
 */
export async function readEnvSources(core: CoreV1Api, pod: V1Pod): Promise<EnvSources | WaitingReason> {
  const namespace = pod.metadata?.namespace ?? "default";
  const secrets = new Map<string, Record<string, string>>();
  const configMaps = new Map<string, Record<string, string>>();
  for (const env of envOf(pod)) {
    const secretRef = env.valueFrom?.secretKeyRef;
    const mapRef = env.valueFrom?.configMapKeyRef;
    const ref = secretRef ?? mapRef;
    if (!ref) continue;
    const name = ref.name ?? "";
    const kind = secretRef ? "secret" : "configmap";
    const cache = secretRef ? secrets : configMaps;
    if (!cache.has(name)) {
      try {
        if (secretRef) {
          const secret = await core.readNamespacedSecret({ name: name, namespace });
          secrets.set(name, Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")])));
        } else {
          configMaps.set(name, { ...(await core.readNamespacedConfigMap({ name: name, namespace })).data });
        }
      } catch (error) {
        if (errorStatus(error) !== 404) return { reason: "CreateContainerConfigError", message: `${kind} "${name}": ${String(error)}` };
        if (ref.optional) continue;
        return { reason: "CreateContainerConfigError", message: `${kind} "${name}" not found` };
      }
    }
    const data = cache.get(name);
    if (data && data[ref.key] === undefined && !ref.optional) {
      return { reason: "CreateContainerConfigError", message: `couldn't find key ${ref.key} in ${kind === "secret" ? "Secret" : "ConfigMap"} ${namespace}/${name}` };
    }
  }
  return { secrets, configMaps };
}

/** The value of an env entry that names a Secret's or ConfigMap's key, or undefined for any other entry. */
export function envSourceValue(env: V1EnvVar, sources: EnvSources | undefined): string | undefined {
  const secretRef = env.valueFrom?.secretKeyRef;
  const mapRef = env.valueFrom?.configMapKeyRef;
  if (!secretRef && !mapRef) return undefined;
  const ref = (secretRef ?? mapRef)!;
  // Not read (optional and missing, or no sources given): the variable is left out, as a kubelet does for optional ones.
  return (secretRef ? sources?.secrets : sources?.configMaps)?.get(ref.name ?? "")?.[ref.key];
}

export function isEnvSourceReference(env: V1EnvVar): boolean {
  return Boolean(env.valueFrom?.secretKeyRef || env.valueFrom?.configMapKeyRef);
}

function envOf(pod: V1Pod): V1EnvVar[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((container) => container.env ?? []);
}
