/**
 * Data-agent Pods (spec/loops.md §8.4): one short-lived Pod per store operation, mounting the
 * Data's claim at /data (read-only for reads), running `knitfab data-agent` from the server image,
 * reached at its Pod IP. Made on demand, deleted by whoever made it (always: see withAgentPod), and
 * swept by housekeeping when that deletion was lost (a crash): see isSweepable.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { UnavailableError } from "@knitfab/domain/errors";
import type { UploadLimits } from "../data-store.js";
import type { AgentMode } from "./agent-protocol.js";

export const AGENT_COMPONENT = "dataagt";
export const KNITID_LABEL = `knit/${AGENT_COMPONENT}.knitid`;
export const MODE_LABEL = `knit/${AGENT_COMPONENT}.mode`;
/** When the Pod may be swept even if it still runs (ISO time): its maker is surely gone by then. */
export const DEADLINE_ANNOTATION = "knitfab.io/agent-deadline";
/** Where the claim is mounted inside the agent, and the folder the agent serves. */
export const AGENT_ROOT = "/data";

export interface AgentPodSettings {
  namespace: string;
  image: string;
  port: number;
  /** How long an agent may take to start (claim bound, Pod running): the reference's 30 s. */
  startSeconds: number;
  /** How long an agent may live at all; past it, sweep removes it even if it still runs. */
  lifetimeSeconds: number;
  /** The agent's own wait for its one request (the reference's 180 s). */
  requestDeadlineSeconds: number;
  limits: UploadLimits;
  version: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

export function agentPodName(knitId: string, mode: AgentMode): string {
  return `knitid-${knitId}-${mode}-${randomBytes(3).toString("hex").slice(0, 5)}`;
}

export function agentPodManifest(settings: AgentPodSettings, knitId: string, claimName: string, mode: AgentMode, name: string, now = new Date()): V1Pod {
  const { limits } = settings;
  const args = ["data-agent", "--mode", mode, "--root", AGENT_ROOT, "--port", String(settings.port), "--deadline", String(settings.requestDeadlineSeconds)];
  if (limits.maxBytes !== undefined) args.push("--max-bytes", String(limits.maxBytes));
  if (limits.maxEntries !== undefined) args.push("--max-entries", String(limits.maxEntries));
  if (limits.reserveBytes) args.push("--reserve-bytes", String(limits.reserveBytes));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: settings.namespace,
      labels: {
        "app.kubernetes.io/version": settings.version,
        "app.kubernetes.io/name": AGENT_COMPONENT,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": AGENT_COMPONENT,
        "app.kubernetes.io/part-of": "knit",
        "app.kubernetes.io/managed-by": "knit",
        [KNITID_LABEL]: knitId,
        [MODE_LABEL]: mode,
      },
      annotations: { [DEADLINE_ANNOTATION]: new Date(now.getTime() + settings.lifetimeSeconds * 1000).toISOString() },
    },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // The kubelet stops an agent that outlives its lifetime, even if nobody sweeps it.
      activeDeadlineSeconds: settings.lifetimeSeconds,
      containers: [
        {
          name: AGENT_COMPONENT,
          image: settings.image,
          ...(settings.imagePullPolicy ? { imagePullPolicy: settings.imagePullPolicy } : {}),
          // The server image's entry point is `node .../knitfab.mjs`: the subcommand is its argument.
          args,
          ports: [{ name: "dataagt-port", containerPort: settings.port }],
          // Root, as the reference's agent: it reads whatever any worker wrote and sets the
          // volume's permissions; it reaches nothing but its one volume.
          securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false },
          volumeMounts: [{ name: "the-volume", mountPath: AGENT_ROOT, ...(mode === "read" ? { readOnly: true } : {}) }],
        },
      ],
      volumes: [{ name: "the-volume", persistentVolumeClaim: { claimName, ...(mode === "read" ? { readOnly: true } : {}) } }],
    },
  };
}

/** Where a running agent answers. */
export interface RunningAgent {
  name: string;
  base: string;
}

/**
 * Makes an agent Pod and waits until it runs with an IP (or throws UnavailableError, the
 * reference's 503, after `startSeconds`, deleting the Pod). The caller deletes it (deleteAgentPod).
 */
export async function startAgentPod(core: CoreV1Api, settings: AgentPodSettings, knitId: string, claimName: string, mode: AgentMode): Promise<RunningAgent> {
  const name = agentPodName(knitId, mode);
  const deadline = Date.now() + settings.startSeconds * 1000;
  await core.createNamespacedPod({ namespace: settings.namespace, body: agentPodManifest(settings, knitId, claimName, mode, name) });
  try {
    for (;;) {
      const pod = await core.readNamespacedPod({ namespace: settings.namespace, name });
      const phase = pod.status?.phase;
      if (phase === "Running" && pod.status?.podIP) return { name, base: `http://${pod.status.podIP}:${settings.port}` };
      if (phase === "Succeeded" || phase === "Failed") throw new Error(`data agent ${name} ended before serving (${phase})`);
      const waiting = pod.status?.containerStatuses?.find((status) => status.state?.waiting?.reason)?.state?.waiting;
      if (waiting?.reason && /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerError/.test(waiting.reason)) {
        throw new UnavailableError(`data agent cannot start: ${waiting.reason}${waiting.message ? ` ${waiting.message}` : ""}`);
      }
      if (Date.now() > deadline) throw new UnavailableError(`data agent ${name} did not start within ${settings.startSeconds}s`);
      // The reference's agent spawner polls every 200 ms as well.
      await sleep(200);
    }
  } catch (error) {
    await deleteAgentPod(core, settings.namespace, name);
    throw error;
  }
}

/**
 * Asks for an agent Pod's deletion; one already gone is no error. Never throws: the sweep catches
 * what this misses. Graceful, not forced: the node's kubelet stops the container (the agent exits
 * at SIGTERM) and only then is the Pod gone, so the claim is released only once nothing on the node
 * uses it (a forced deletion would let the claim's volume be deleted under a container still there).
 */
export async function deleteAgentPod(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: AGENT_GRACE_SECONDS }).catch(() => undefined);
}

/** The agent stops at SIGTERM at once; this is only the bound. */
const AGENT_GRACE_SECONDS = 5;

/** Whether `pod` is a data agent (so that housekeeping removes nothing else by name). */
export function isAgentPod(pod: V1Pod): boolean {
  return pod.metadata?.labels?.["app.kubernetes.io/component"] === AGENT_COMPONENT;
}

/** Agent Pods of this namespace, deleted ones (deletion under way) left out. */
export async function listAgentPods(core: CoreV1Api, namespace: string): Promise<V1Pod[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/component=${AGENT_COMPONENT}` });
  return pods.items.filter((pod) => pod.metadata?.deletionTimestamp === undefined);
}

/**
 * Whether housekeeping may remove an agent Pod: it ended (the agent stops after its one request or
 * its request deadline) or it outlived its lifetime. A Pod that still serves a transfer is left alone.
 */
export function isSweepable(pod: V1Pod, now: Date): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return true;
  const deadline = Date.parse(pod.metadata?.annotations?.[DEADLINE_ANNOTATION] ?? "");
  return Number.isNaN(deadline) || deadline <= now.getTime();
}
