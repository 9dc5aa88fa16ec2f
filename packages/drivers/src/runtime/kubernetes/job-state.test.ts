import type { V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { workerStateOf } from "./job-state.js";

function job(conditions: { type: string; status?: string; reason?: string; message?: string }[] = [], deleting = false): V1Job {
  return {
    metadata: { name: "worker-run-r1", ...(deleting ? { deletionTimestamp: new Date() } : {}) },
    status: { conditions: conditions.map((condition) => ({ status: "True", ...condition })) },
  };
}

function pod(phase: string, parts: { containers?: V1ContainerStatus[]; init?: V1ContainerStatus[]; scheduled?: { status: string; reason?: string; message?: string } } = {}): V1Pod {
  return {
    metadata: { name: "worker-run-r1-abcde" },
    status: {
      phase,
      ...(parts.containers ? { containerStatuses: parts.containers } : {}),
      ...(parts.init ? { initContainerStatuses: parts.init } : {}),
      ...(parts.scheduled ? { conditions: [{ type: "PodScheduled", ...parts.scheduled }] } : {}),
    },
  };
}

const container = (name: string, state: V1ContainerStatus["state"]): V1ContainerStatus => ({ name, image: "i", imageID: "", ready: false, restartCount: 0, state });

describe("workerStateOf", () => {
  it("no Job, or a Job being deleted: missing", () => {
    expect(workerStateOf(undefined, [])).toEqual({ phase: "missing" });
    expect(workerStateOf(job([], true), [pod("Running")])).toEqual({ phase: "missing" });
  });

  it("Complete: succeeded", () => {
    expect(workerStateOf(job([{ type: "Complete" }]), [])).toEqual({ phase: "succeeded" });
  });

  it("Failed: the regular container with the highest exit code, as (container NAME) REASON", () => {
    const failed = pod("Failed", {
      containers: [container("main", { terminated: { exitCode: 137, reason: "OOMKilled" } }), container("side", { terminated: { exitCode: 1, reason: "Error" } })],
    });
    expect(workerStateOf(job([{ type: "Failed" }]), [failed])).toEqual({ phase: "failed", exitCode: 137, message: "(container main) OOMKilled" });
  });

  it("Failed in the init container (an output was not empty): its exit", () => {
    const failed = pod("Failed", {
      init: [container("init-main", { terminated: { exitCode: 1, reason: "Error" } })],
      containers: [container("main", { waiting: { reason: "PodInitializing" } })],
    });
    expect(workerStateOf(job([{ type: "Failed" }]), [failed])).toEqual({ phase: "failed", exitCode: 1, message: "(container init-main) Error" });
  });

  it("Failed with its pod gone: the Job's reason, exit 254", () => {
    expect(workerStateOf(job([{ type: "Failed", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }]), [])).toEqual({
      phase: "failed",
      exitCode: 254,
      message: "(job worker-run-r1) BackoffLimitExceeded: Job has reached the specified backoff limit",
    });
  });

  it("a pod running or ended before the Job's condition: running", () => {
    expect(workerStateOf(job(), [pod("Running")])).toEqual({ phase: "running" });
    expect(workerStateOf(job(), [pod("Succeeded")])).toEqual({ phase: "running" });
  });

  it("an image pull error: stuck at once, with the kubelet's message", () => {
    const pulling = pod("Pending", { scheduled: { status: "True" }, containers: [container("main", { waiting: { reason: "ErrImagePull", message: 'Failed to pull image "x"' } })] });
    expect(workerStateOf(job(), [pulling])).toEqual({ phase: "pending", stuck: { reason: "ErrImagePull", message: '(pod worker-run-r1-abcde) Failed to pull image "x"' } });
  });

  it("unschedulable: pending, not stuck, with the scheduler's reason", () => {
    const unscheduled = pod("Pending", { scheduled: { status: "False", reason: "Unschedulable", message: "0/2 nodes are available" } });
    expect(workerStateOf(job(), [unscheduled])).toEqual({ phase: "pending", waiting: { reason: "Unschedulable", message: "(pod worker-run-r1-abcde) 0/2 nodes are available" } });
  });

  it("no pod yet, or creating containers: pending", () => {
    expect(workerStateOf(job(), [])).toEqual({ phase: "pending" });
    expect(workerStateOf(job(), [pod("Pending", { scheduled: { status: "True" }, containers: [container("main", { waiting: { reason: "ContainerCreating" } })] })])).toEqual({
      phase: "pending",
    });
  });
});
