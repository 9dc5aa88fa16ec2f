/**
 * The volume expander (`vex`, spec: loops §9): on one node, grows the claims that pods there mount
 * writable when they come within a margin of full, where the storage class allows expansion. It
 * reads usage where a kubelet reports it (`kubelet_volume_stats_used_bytes` of the node's
 * `/metrics`, reached through the API server's node proxy) and asks for more by updating the claim's
 * request; the storage driver does the rest. Pods are listed each round (one cheap list per
 * namespace, filtered by node) rather than watched: a round is seconds apart and must see them anyway.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { messageOf } from "../runtime/kubernetes/api-errors.js";
import { quantityValue } from "@knitfab/domain";
import { plannedExpansion, type ExpansionPolicy } from "./expansion.js";
import { volumeUsedSamples } from "./kubelet-metrics.js";

/** A claim with this annotation set to "false" is never grown. */
export const VEX_MANAGED_ANNOTATION = "vex.knitfab/managed";

export interface VolumeExpanderOptions extends ExpansionPolicy {
  kubeConfig: KubeConfig;
  namespaces: readonly string[];
  nodeName: string;
  /** What happened, one line each (growths and failures). */
  log: (message: string) => void;
}

export interface ExpansionRound {
  /** `namespace/claim` → the new request, for each claim grown this round. */
  grown: Map<string, string>;
}

export interface VolumeExpander {
  /** One round: find writable claims on the node, read their usage, grow those near full. */
  expandOnce(): Promise<ExpansionRound>;
  /** Rounds every `intervalMs` until the signal aborts; a failed round is logged, not fatal. */
  run(intervalMs: number, signal: AbortSignal): Promise<void>;
}

export function createVolumeExpander(options: VolumeExpanderOptions): VolumeExpander {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);

  async function writableClaims(): Promise<Set<string>> {
    const claims = new Set<string>();
    for (const namespace of options.namespaces) {
      const pods = await core.listNamespacedPod({ namespace, fieldSelector: `spec.nodeName=${options.nodeName}` });
      for (const pod of pods.items) {
        for (const claim of claimsMountedWritable(pod)) claims.add(`${namespace}/${claim}`);
      }
    }
    return claims;
  }

  async function grow(namespace: string, name: string, usedBytes: number): Promise<string | undefined> {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
    if (claim.metadata?.annotations?.[VEX_MANAGED_ANNOTATION] === "false") return undefined;
    const request = claim.spec?.resources?.requests?.storage;
    if (request === undefined || claim.spec === undefined) return undefined;
    const capacity = claim.status?.capacity?.storage;
    const planned = plannedExpansion(
      { requestBytes: quantityValue(request), capacityBytes: capacity === undefined ? 0 : quantityValue(capacity), usedBytes },
      options,
    );
    if (planned === undefined) return undefined;
    const grown = `${planned / 1_000_000_000}G`;
    claim.spec.resources = { ...claim.spec.resources, requests: { ...claim.spec.resources?.requests, storage: grown } };
    // An update with the read resourceVersion: a claim changed meanwhile is a 409, tried again next round.
    await core.replaceNamespacedPersistentVolumeClaim({ name, namespace, body: claim });
    return grown;
  }

  async function expandOnce(): Promise<ExpansionRound> {
    const grown = new Map<string, string>();
    const writable = await writableClaims();
    if (writable.size === 0) return { grown };
    const metrics = await core.connectGetNodeProxyWithPath({ name: options.nodeName, path: "metrics" });
    for (const sample of volumeUsedSamples(String(metrics))) {
      const key = `${sample.namespace}/${sample.claim}`;
      if (!writable.has(key)) continue;
      try {
        const request = await grow(sample.namespace, sample.claim, sample.usedBytes);
        if (request === undefined) continue;
        grown.set(key, request);
        options.log(`vex: claim ${key} uses ${sample.usedBytes} bytes; its request is now ${request}`);
      } catch (error) {
        options.log(`vex: claim ${key} could not be grown: ${messageOf(error)}`);
      }
    }
    return { grown };
  }

  async function run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await expandOnce();
      } catch (error) {
        options.log(`vex: round failed (tried again in ${intervalMs} ms): ${messageOf(error)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  return { expandOnce, run };
}

/** Claims some container of a live pod mounts writable (a claim only ever mounted read-only is left alone). */
export function claimsMountedWritable(pod: V1Pod): string[] {
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return [];
  const claimOfVolume = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const source = volume.persistentVolumeClaim;
    if (source && !source.readOnly) claimOfVolume.set(volume.name, source.claimName);
  }
  const claims = new Set<string>();
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const mount of container.volumeMounts ?? []) {
      const claim = claimOfVolume.get(mount.name);
      if (claim !== undefined && !mount.readOnly) claims.add(claim);
    }
  }
  return [...claims];
}
