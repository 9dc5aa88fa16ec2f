/**
 * A worker's state from its Job and the Job's pods (spec/loops.md §8.5), as a pure function, so
 * every branch is unit-tested without a cluster.
 */
import type { V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import type { WorkerState } from "../worker-runtime.js";

/**
 * Waiting reasons with which a pod cannot make progress by itself: the image is not there or the
 * container cannot be made. Reported as `stuck` as soon as they appear (the engine decides when
 * to give up), not after minutes of back-off.
 */
export const STUCK_REASONS: ReadonlySet<string> = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** The state of a worker whose Job is `job` (undefined: no such Job) with these pods. */
export function workerStateOf(job: V1Job | undefined, pods: readonly V1Pod[]): WorkerState {
  // A Job being deleted is going away with its pods: the worker is no more.
  if (!job || job.metadata?.deletionTimestamp) return { phase: "missing" };
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.some((condition) => condition.type === type && condition.status === "True");
  if (holds("Complete")) return { phase: "succeeded" };
  if (holds("Failed")) return failureOf(job, pods);

  if (pods.some((pod) => ["Running", "Succeeded", "Failed"].includes(pod.status?.phase ?? ""))) return { phase: "running" };
  for (const pod of pods) {
    const stuck = stuckOf(pod);
    if (stuck) return { phase: "pending", stuck };
  }
  for (const pod of pods) {
    const unscheduled = pod.status?.conditions?.find((condition) => condition.type === "PodScheduled" && condition.status === "False");
    // Not stuck: a node may still come (or get the label); the run waits, saying why.
    if (unscheduled) {
      return {
        phase: "pending",
        waiting: { reason: unscheduled.reason ?? "Unschedulable", message: `(pod ${pod.metadata?.name ?? "?"}) ${unscheduled.message ?? "not scheduled yet"}` },
      };
    }
  }
  return { phase: "pending" };
}

/**
 * The failed Job's exit: the regular container with the highest exit code, as the reference; when
 * no regular container ran (the init container found an output not empty), the init container's.
 */
function failureOf(job: V1Job, pods: readonly V1Pod[]): WorkerState {
  const pick = (statuses: (pod: V1Pod) => V1ContainerStatus[] | undefined) => {
    let worst: { exitCode: number; message: string } | undefined;
    for (const pod of pods) {
      for (const status of statuses(pod) ?? []) {
        const terminated = status.state?.terminated;
        if (!terminated) continue;
        if (!worst || terminated.exitCode > worst.exitCode) {
          worst = { exitCode: terminated.exitCode, message: `(container ${status.name}) ${terminated.reason ?? "Error"}` };
        }
      }
    }
    return worst;
  };
  const found = pick((pod) => pod.status?.containerStatuses) ?? pick((pod) => pod.status?.initContainerStatuses);
  if (found) return { phase: "failed", ...found };
  // The pod is gone (deleted, evicted, a deadline): the Job's own words, with the exit code of a vanished worker.
  const failed = job.status?.conditions?.find((condition) => condition.type === "Failed" && condition.status === "True");
  return {
    phase: "failed",
    exitCode: 254,
    message: `(job ${job.metadata?.name ?? "?"}) ${failed?.reason ?? "Failed"}${failed?.message ? `: ${failed.message}` : ""}`,
  };
}

/** The first container waiting for a reason it cannot get over by itself, as `(pod NAME) MESSAGE`. */
function stuckOf(pod: V1Pod): { reason: string; message: string } | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && STUCK_REASONS.has(waiting.reason)) {
      return { reason: waiting.reason, message: `(pod ${pod.metadata?.name ?? "?"}) ${waiting.message ?? waiting.reason}` };
    }
  }
  return undefined;
}
