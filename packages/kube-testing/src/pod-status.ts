import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from "@kubernetes/client-node";

/** What Podman says of one container of the pod, when it has one. */
export interface ObservedContainer {
  readonly id: string;
  /** Podman's state: created, configured, initialized, running, paused, stopping, stopped, exited, removing. */
  readonly state: string;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** Whether a memory limit applies: under cgroup v1 Podman does not report OOM kills (see below). */
  readonly memoryLimited: boolean;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

/** Why a container cannot be created yet (image missing, a play error): a kubelet "waiting" state. */
export interface WaitingReason {
  readonly reason: string;
  readonly message: string;
}

export interface PodObservation {
  /** By init container name; absent when Podman has no such container (not made yet, or removed after success). */
  readonly init: ReadonlyMap<string, ObservedContainer>;
  readonly main: ReadonlyMap<string, ObservedContainer>;
  /** Podman's play call returned without error: every init container has exited 0. */
  readonly initDone: boolean;
  /** Containers that cannot start, by name (ErrImagePull, ImagePullBackOff, CreateContainerError). */
  readonly waiting: ReadonlyMap<string, WaitingReason>;
  /** The pod's sandbox (Podman's infra container) exists. */
  readonly sandbox: boolean;
  readonly podIP?: string;
  /** When the stand-in kubelet first acted on the pod. */
  readonly startTime: string;
  /** Running main containers whose readiness probe has not succeeded (readiness-probes.ts); the others are ready when running. */
  readonly unready?: ReadonlySet<string>;
}

const RUNNING_STATES = new Set(["running", "paused", "stopping"]);
const ENDED_STATES = new Set(["exited", "stopped"]);

/**
 * Under cgroup v1 Podman reports OOMKilled=false even when the memory limit killed the process,
 * so, as the project's docker runtime does, exit 137 (SIGKILL) of a container with a memory limit
 * counts as an OOM kill unless the stand-in kubelet itself was stopping the pod.
 */
export function wasOomKilled(container: ObservedContainer, stoppedByKubelet: boolean): boolean {
  return container.oomKilled || (!stoppedByKubelet && container.exitCode === 137 && container.memoryLimited);
}

function terminatedReason(container: ObservedContainer, stoppedByKubelet: boolean): string {
  if (wasOomKilled(container, stoppedByKubelet)) return "OOMKilled";
  return container.exitCode === 0 ? "Completed" : "Error";
}

/**
 * The Pod status a kubelet would report for what Podman shows, with restartPolicy Never:
 * Pending until the main containers start, Running while any runs, Succeeded when all exit 0,
 * Failed when an init container fails or any main container exits non-zero.
 */
export function derivePodStatus(pod: V1Pod, observed: PodObservation, now: string, stoppedByKubelet = false): V1PodStatus {
  const spec = pod.spec;
  const initNames = (spec?.initContainers ?? []).map((container) => container.name);
  const mainNames = (spec?.containers ?? []).map((container) => container.name);
  const imageOf = (name: string): string =>
    [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((container) => container.name === name)?.image ?? "";

  const status = (name: string, container: ObservedContainer | undefined, waitingReason: string): V1ContainerStatus => {
    const base = { name, image: imageOf(name), imageID: "", ready: false, restartCount: 0 };
    const waiting = observed.waiting.get(name);
    if (waiting) return { ...base, started: false, state: { waiting } };
    if (!container) return { ...base, started: false, state: { waiting: { reason: waitingReason } } };
    const containerID = `podman://${container.id}`;
    if (RUNNING_STATES.has(container.state)) {
      return { ...base, containerID, ready: true, started: true, state: { running: { startedAt: toDate(container.startedAt ?? now) } } };
    }
    if (ENDED_STATES.has(container.state)) {
      return {
        ...base,
        containerID,
        started: false,
        state: {
          terminated: {
            exitCode: container.exitCode,
            reason: terminatedReason(container, stoppedByKubelet),
            startedAt: toDate(container.startedAt ?? now),
            finishedAt: toDate(container.finishedAt ?? now),
            containerID,
          },
        },
      };
    }
    return { ...base, containerID, started: false, state: { waiting: { reason: waitingReason } } };
  };

  // Podman removes an init container once it has exited 0: an absent one is done when the play
  // call has returned, or when a later container (init or main) exists already.
  const firstMainStart = [...observed.main.values()]
    .map((main) => main.startedAt)
    .filter((time): time is string => Boolean(time))
    .sort()[0];
  let initFailed = false;
  let initsComplete = initNames.length === 0 || observed.initDone;
  const initStatuses: V1ContainerStatus[] = initNames.map((name, index) => {
    const container = observed.init.get(name);
    const laterExists =
      initNames.slice(index + 1).some((later) => observed.init.has(later)) ||
      [...observed.main.values()].some((main) => RUNNING_STATES.has(main.state) || ENDED_STATES.has(main.state));
    if (!container && (observed.initDone || laterExists) && !observed.waiting.has(name)) {
      return {
        name,
        image: imageOf(name),
        imageID: "",
        ready: true,
        restartCount: 0,
        started: false,
        // Podman keeps no record of it: it ended no later than the first main container started.
        state: { terminated: { exitCode: 0, reason: "Completed", startedAt: toDate(observed.startTime), finishedAt: toDate(firstMainStart ?? observed.startTime) } },
      };
    }
    const result = status(name, container, "PodInitializing");
    if (result.state?.terminated) {
      if (result.state.terminated.exitCode === 0) result.ready = true;
      else initFailed = true;
    }
    return result;
  });
  if (initStatuses.length > 0 && initStatuses.every((init) => init.state?.terminated?.exitCode === 0)) initsComplete = true;

  const mainStatuses = mainNames.map((name) => {
    const main = status(name, observed.main.get(name), initsComplete ? "ContainerCreating" : "PodInitializing");
    return main.state?.running && observed.unready?.has(name) ? { ...main, ready: false } : main;
  });
  const terminated = mainStatuses.filter((container) => container.state?.terminated);
  const running = mainStatuses.filter((container) => container.state?.running);

  let phase: string;
  if (initFailed) phase = "Failed";
  else if (terminated.length === mainStatuses.length && mainStatuses.length > 0) {
    phase = terminated.every((container) => container.state?.terminated?.exitCode === 0) ? "Succeeded" : "Failed";
  } else if (running.length > 0 || terminated.length > 0) phase = "Running";
  else phase = "Pending";

  const ended = phase === "Succeeded" || phase === "Failed";
  const allRunning = running.length === mainStatuses.length && mainStatuses.length > 0;
  const allReady = allRunning && mainStatuses.every((container) => container.ready);
  const condition = (type: string, value: boolean, reason?: string): V1PodCondition => ({
    type,
    status: value ? "True" : "False",
    lastTransitionTime: toDate(now),
    ...(reason ? { reason } : {}),
  });
  const conditions: V1PodCondition[] = [
    condition("PodReadyToStartContainers", observed.sandbox && !ended),
    condition("Initialized", initsComplete && !initFailed, initFailed ? "ContainersNotInitialized" : ended && initsComplete ? "PodCompleted" : undefined),
    condition("ContainersReady", allReady && !ended, ended ? "PodCompleted" : allReady ? undefined : "ContainersNotReady"),
    condition("Ready", allReady && !ended, ended ? "PodCompleted" : allReady ? undefined : "ContainersNotReady"),
  ];

  return {
    phase,
    conditions,
    hostIP: "127.0.0.1",
    hostIPs: [{ ip: "127.0.0.1" }],
    ...(observed.podIP ? { podIP: observed.podIP, podIPs: [{ ip: observed.podIP }] } : {}),
    startTime: toDate(observed.startTime),
    initContainerStatuses: initStatuses.length ? initStatuses : undefined,
    containerStatuses: mainStatuses,
  };
}

/** The generated client serialises Date objects; its types say Date. */
function toDate(value: string): Date {
  return new Date(value);
}

/** Whether two statuses say the same, ignoring transition times (so unchanged states are not rewritten). */
export function sameStatus(a: V1PodStatus | undefined, b: V1PodStatus): boolean {
  const strip = (status: V1PodStatus | undefined) =>
    JSON.stringify(status, (key, value: unknown) => (key === "lastTransitionTime" || key === "lastProbeTime" ? undefined : value));
  return strip(a) === strip(b);
}
