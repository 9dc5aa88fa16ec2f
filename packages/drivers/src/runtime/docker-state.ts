/**
 * How a Docker/Podman container's inspection reads as a WorkerState.
 * Pure, so the quirks of each engine are tested without one.
 */
import type { WorkerState } from "./worker-runtime.js";

/** The part of `GET /containers/{id}/json` the state derives from. */
export interface ContainerFacts {
  status: string;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt: string;
  /** HostConfig.Memory: the memory limit in bytes, 0 when none. */
  memoryLimit: number;
}

export interface StateOptions {
  /**
   * Podman under cgroup v1 reports `OOMKilled=false` even when the memory limit killed the task:
   * with this set, exit 137 (SIGKILL) of a container that has a memory limit counts as OOMKilled.
   */
  memoryOomIsExit137: boolean;
}

export const MAIN_CONTAINER = "main";
const SIGKILL_EXIT = 137;

/** Engine states of a container whose process has ended. */
const ENDED_STATUSES = new Set(["exited", "stopped", "dead", "removing"]);

/** Whether the container's process has ended (what workerStateOf reads as succeeded or failed). */
export function hasEnded(facts: ContainerFacts): boolean {
  return ENDED_STATUSES.has(facts.status);
}

/** Docker and Podman both write this for a time that never happened. */
export function neverStarted(facts: ContainerFacts): boolean {
  return facts.startedAt === "" || facts.startedAt.startsWith("0001-01-01");
}

export function workerStateOf(facts: ContainerFacts, options: StateOptions): WorkerState {
  if (hasEnded(facts)) return exitedState(facts, options);
  switch (facts.status) {
    case "created":
    case "configured":
    case "initialized":
      return { phase: "pending" };
    case "running":
    case "paused":
    case "restarting":
    case "stopping":
      return { phase: "running" };
    default:
      // An engine state we do not know yet: the container exists and has not reported an end.
      return { phase: "running" };
  }
}

function exitedState(facts: ContainerFacts, options: StateOptions): WorkerState {
  if (facts.exitCode === 0 && facts.status !== "dead") return { phase: "succeeded" };
  const exitCode = facts.exitCode === 0 ? 1 : facts.exitCode;
  const oom = facts.oomKilled || (options.memoryOomIsExit137 && exitCode === SIGKILL_EXIT && facts.memoryLimit > 0);
  return { phase: "failed", exitCode, message: `(container ${MAIN_CONTAINER}) ${oom ? "OOMKilled" : "Error"}` };
}

/** The state of a container whose start the engine refused (missing executable, bad device request...). */
export function startErrorState(engineMessage: string): WorkerState {
  // Kubernetes reports such a container as terminated with reason StartError and exit code 128.
  return { phase: "failed", exitCode: 128, message: `(container ${MAIN_CONTAINER}) StartError: ${engineMessage}` };
}
