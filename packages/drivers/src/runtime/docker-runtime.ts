/**
 * WorkerRuntime over the Docker Engine API, served by Docker or by Podman (`podman system service`).
 *
 * One container per run, named `worker-run-<runId>` and labelled, so any process can find it again
 * after a crash. The life of a worker: create, start, wait/inspect, read logs, remove — never
 * auto-remove, which would lose the exit code.
 */
import Docker from "dockerode";
import { PassThrough, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { containerCreateOptions } from "./docker-container-spec.js";
import { engineMessage, engineStatus, isExitRace, isNotFound, retryingExitRace } from "./docker-errors.js";
import { createLogDemultiplexer } from "./docker-log-stream.js";
import { resolveDockerEndpoint } from "./docker-socket.js";
import { hasEnded, neverStarted, startErrorState, workerStateOf, type ContainerFacts } from "./docker-state.js";
import { unplacedReason } from "./placement.js";
import {
  WORKER_LABELS,
  WorkerStartError,
  WorkerUnschedulableError,
  workerName,
  type LogOptions,
  type WorkerRuntime,
  type WorkerSpec,
  type WorkerState,
} from "./worker-runtime.js";

export interface DockerRuntimeOptions {
  /** Unix socket of the engine; default DOCKER_HOST, then the usual Docker and Podman sockets. */
  socketPath?: string;
  /** Exit 137 of a container with a memory limit counts as OOMKilled (Podman on cgroup v1). Default true. */
  memoryOomIsExit137?: boolean;
  /**
   * A container created but never started for longer than this is started by `inspect`: the process
   * that created it died before starting it. Default 10 s.
   */
  startGraceMs?: number;
  /** How often waiting for a not-yet-started container looks again. Default 100 ms. */
  pollIntervalMs?: number;
  /**
   * Labels of this machine (`--node-label`, KNITFAB_NODE_LABELS): a worker whose on_node `must`
   * labels it lacks is not started (WorkerUnschedulableError). Default none.
   */
  nodeLabels?: Readonly<Record<string, string>>;
}

export function createDockerRuntime(options: DockerRuntimeOptions = {}): WorkerRuntime {
  const endpoint = resolveDockerEndpoint(options.socketPath);
  if (endpoint === undefined) {
    throw new Error(
      "no Docker Engine API socket found (tried DOCKER_HOST, /var/run/docker.sock, /run/podman/podman.sock, " +
        "$XDG_RUNTIME_DIR/podman/podman.sock, /run/knitfab/podman.sock); start one with scripts/podman-service.sh " +
        "or give its path",
    );
  }
  const docker =
    endpoint.kind === "unix"
      ? new Docker({ socketPath: endpoint.socketPath })
      : new Docker({ host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol });
  const memoryOomIsExit137 = options.memoryOomIsExit137 ?? true;
  const startGraceMs = options.startGraceMs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const nodeLabels = { ...options.nodeLabels };

  // What the engine cannot remember for us: a container whose start was refused (Podman keeps it
  // "created" without the error). Another process rediscovers it by starting it again.
  const startErrors = new Map<string, string>();

  async function inspectContainer(runId: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await retryingExitRace(() => docker.getContainer(workerName(runId)).inspect());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The image's own settings when it is local, else undefined. */
  async function localImage(image: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await docker.getImage(image).inspect();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Pulls once; the engine's error text when it fails (the stream reports errors in-band). */
  async function pull(image: string): Promise<string | undefined> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(image);
    } catch (error) {
      if (engineStatus(error) === undefined) throw error;
      return engineMessage(error);
    }
    const events = await new Promise<unknown[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) =>
        error ? reject(error) : resolve(output),
      );
    });
    for (const event of events) {
      if (typeof event === "object" && event !== null && "error" in event) {
        return String((event as { error: unknown }).error);
      }
    }
    return (await localImage(image)) ? undefined : `pulling ${image} reported success but the image is not there`;
  }

  /** Starts a created container; a refusal is remembered as the worker's failure, not thrown. */
  async function startContainer(runId: string): Promise<void> {
    try {
      await docker.getContainer(workerName(runId)).start();
    } catch (error) {
      const status = engineStatus(error);
      if (status === 304) return; // already started by someone else
      if (isExitRace(error)) {
        // The task ran and ended before Podman finished answering: the start happened.
        const info = await inspectContainer(runId);
        if (info !== undefined && info.State.Status !== "created") return;
      }
      if (status === undefined || isNotFound(error)) throw error;
      startErrors.set(runId, engineMessage(error));
    }
  }

  async function start(spec: WorkerSpec): Promise<void> {
    // Placement first: every worker runs on this one machine, if its labels allow (service accounts
    // and `prefer` mean nothing here; the plan was told so when it was applied).
    const unplaced = unplacedReason(spec.onNode, nodeLabels);
    if (unplaced !== undefined) throw new WorkerUnschedulableError(unplaced);
    // Validate and translate first: a bad spec throws before anything exists.
    let createOptions: Docker.ContainerCreateOptions;
    try {
      createOptions = containerCreateOptions(spec);
    } catch (error) {
      throw new WorkerStartError("CreateContainerConfigError", error instanceof Error ? error.message : String(error), true, { cause: error });
    }
    const existing = await inspectContainer(spec.runId);
    if (existing !== undefined && isEarlierAttempt(existing, createOptions)) {
      // A retried run: the worker of its attempt before (other output Data, so other mounts) may
      // still be being removed, as finishing removes exited workers after recording the run. Left
      // there, its exit would be taken for this attempt's and the new outputs stay empty.
      await removeEarlierAttempt(spec.runId);
    } else if (existing !== undefined) {
      // Left alone, unless a crashed process created it without starting it.
      await startIfAbandoned(spec.runId, existing);
      return;
    }
    let image = await localImage(spec.image);
    if (image === undefined) {
      // As Kubernetes reports ErrImagePull at once, the run fails at once: waiting cannot bring the image.
      const pullError = await pull(spec.image);
      if (pullError !== undefined) throw new WorkerStartError("ErrImagePull", `image "${spec.image}" cannot be pulled: ${pullError}`, true);
      image = await localImage(spec.image);
    }
    if (image !== undefined && spec.entrypoint.length === 0 && spec.args.length === 0 && !hasCommand(image)) {
      // Docker refuses such a container and Kubernetes fails it; Podman would quietly run /bin/sh.
      throw new WorkerStartError(
        "CreateContainerError",
        `no command specified: the image "${spec.image}" has no entrypoint or command, and the plan gives none; set the plan's entrypoint (or args)`,
        true,
      );
    }
    try {
      await docker.createContainer(createOptions);
    } catch (error) {
      const status = engineStatus(error);
      if (status === 404) {
        // The image went away between the check and the creation: another try pulls it again.
        throw new WorkerStartError("ErrImagePull", `image "${spec.image}" not found: ${engineMessage(error)}`, false, { cause: error });
      }
      // A container of that name exists (Docker answers 409, Podman sometimes 500): created by a
      // concurrent start, which starts it, or by a process that crashed before starting it.
      // Podman claims the name in its storage before the container can be inspected: a concurrent
      // start's container may be invisible for a moment (seen in CI: "already in use", then 404).
      const existing = await waitForContainer(spec.runId, "present", isNameConflict(error) ? NAME_CONFLICT_WAIT_MS : 0);
      if (existing === undefined) {
        if (status === undefined) throw error;
        throw new WorkerStartError("CreateContainerError", engineMessage(error), false, { cause: error });
      }
      await startIfAbandoned(spec.runId, existing);
      return;
    }
    await startContainer(spec.runId);
  }

  /** The same run's ended container, made for other mounts: a retry gives the run new output Data. */
  function isEarlierAttempt(info: Docker.ContainerInspectInfo, wanted: Docker.ContainerCreateOptions): boolean {
    // Only an ended worker can be an attempt before (a run is retried once it has ended). One being
    // created or running is a concurrent start's, whose mounts the engine may not report yet (seen
    // in CI: a second start removed the first one's container as it was being created).
    if (!hasEnded(factsOf(info))) return false;
    // `host:target[:options]`; engines report options of their own (Podman adds rprivate,rbind).
    const binds = (list: readonly string[] | undefined) => (list ?? []).map((bind) => bind.split(":").slice(0, 2).join(":")).sort().join("\n");
    return binds(info.HostConfig?.Binds ?? undefined) !== binds(wanted.HostConfig?.Binds);
  }

  async function removeEarlierAttempt(runId: string): Promise<void> {
    await remove(runId);
    // Another removal may be under way (remove answers at once then): wait until the name is free.
    if ((await waitForContainer(runId, "gone", EARLIER_ATTEMPT_REMOVAL_WAIT_MS)) !== undefined) {
      throw new WorkerStartError("CreateContainerError", `the worker of run ${runId}'s previous attempt is still being removed`, false);
    }
  }

  /**
   * Inspects the worker of `runId` every 100 ms until it is `present` or `gone`, for at most
   * `timeoutMs` (0: once); answers the last inspection, undefined when there is no such container.
   */
  async function waitForContainer(runId: string, until: "present" | "gone", timeoutMs: number): Promise<Docker.ContainerInspectInfo | undefined> {
    let info = await inspectContainer(runId);
    for (let waited = 0; (info === undefined) === (until === "present") && waited < timeoutMs; waited += 100) {
      await sleep(100);
      info = await inspectContainer(runId);
    }
    return info;
  }

  /**
   * Starts a container that was created but never started, once it is older than the grace period:
   * its creator died between create and start. A younger one is left to its creator, since starting
   * a container twice would run an already ended task again.
   */
  async function startIfAbandoned(runId: string, info: Docker.ContainerInspectInfo): Promise<boolean> {
    const facts = factsOf(info);
    if (!(facts.status === "created" && neverStarted(facts)) || startErrors.has(runId)) return false;
    const age = Date.now() - Date.parse(info.Created);
    if (!(age >= startGraceMs)) return false;
    await startContainer(runId);
    return true;
  }

  async function inspect(runId: string): Promise<WorkerState> {
    const info = await inspectContainer(runId);
    if (info === undefined) return { phase: "missing" };
    const facts = factsOf(info);
    if (facts.status === "created" && neverStarted(facts)) {
      const startError = startErrors.get(runId);
      if (startError !== undefined) return startErrorState(startError);
      if (!(await startIfAbandoned(runId, info))) return { phase: "pending" };
      const again = await inspectContainer(runId);
      if (again === undefined) return { phase: "missing" };
      const retriedError = startErrors.get(runId);
      if (retriedError !== undefined && neverStarted(factsOf(again))) return startErrorState(retriedError);
      return workerStateOf(factsOf(again), { memoryOomIsExit137 });
    }
    return workerStateOf(facts, { memoryOomIsExit137 });
  }

  async function logs(runId: string, options: LogOptions): Promise<NodeJS.ReadableStream | undefined> {
    const info = await inspectContainer(runId);
    if (info === undefined) return undefined;
    const container = docker.getContainer(workerName(runId));
    if (!options.follow) {
      let frames: Buffer;
      try {
        frames = await container.logs({ follow: false, stdout: true, stderr: true });
      } catch (error) {
        if (isNotFound(error)) return undefined; // removed since the inspection
        throw error;
      }
      return Readable.from([frames]).pipe(createLogDemultiplexer());
    }
    const output = new PassThrough();
    const abort = new AbortController();
    output.on("close", () => abort.abort());
    void followLogs(runId, container, output, abort.signal).catch((error: unknown) => {
      if (!abort.signal.aborted) output.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return output;
  }

  /** Following a container that has not started yet would end at once: wait for its start first. */
  async function followLogs(
    runId: string,
    container: Docker.Container,
    output: PassThrough,
    signal: AbortSignal,
  ): Promise<void> {
    for (;;) {
      const info = await inspectContainer(runId);
      if (info === undefined) {
        output.end();
        return;
      }
      const facts = factsOf(info);
      if (!(facts.status === "created" && neverStarted(facts)) || startErrors.has(runId)) break;
      await sleep(pollIntervalMs, undefined, { signal });
    }
    const frames = await container.logs({ follow: true, stdout: true, stderr: true, abortSignal: signal });
    const demultiplexer = createLogDemultiplexer();
    demultiplexer.on("error", (error) => output.destroy(error));
    frames.on("error", (error: Error) => {
      if (!signal.aborted) output.destroy(error);
    });
    frames.pipe(demultiplexer).pipe(output);
  }

  async function remove(runId: string): Promise<void> {
    startErrors.delete(runId);
    try {
      await docker.getContainer(workerName(runId)).remove({ force: true, v: true });
    } catch (error) {
      // Already gone (or going: Podman's answer to a second removal), or another removal is in progress.
      if (isNotFound(error) || engineStatus(error) === 409) return;
      throw error;
    }
  }

  async function listWorkers(): Promise<string[]> {
    const containers = await retryingExitRace(() =>
      docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${WORKER_LABELS.worker}=true`] }),
      }),
    );
    const runIds = new Set<string>();
    for (const container of containers) {
      const runId = container.Labels?.[WORKER_LABELS.runId];
      if (runId) runIds.add(runId);
    }
    return [...runIds];
  }

  async function waitForExit(runId: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      const state = await inspect(runId);
      if (state.phase === "missing" || state.phase === "succeeded" || state.phase === "failed") return;
      if (state.phase === "pending") {
        await sleep(pollIntervalMs, undefined, { signal });
        continue;
      }
      try {
        await docker.getContainer(workerName(runId)).wait({ condition: "not-running", abortSignal: signal });
        return;
      } catch (error) {
        signal.throwIfAborted();
        if (isNotFound(error)) return;
        throw error;
      }
    }
  }

  const where = endpoint.kind === "unix" ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  return {
    name: "docker",
    start: explainUnreachable(where, start),
    unplaceable: async (onNode) => unplacedReason(onNode, nodeLabels),
    inspect: explainUnreachable(where, inspect),
    logs: explainUnreachable(where, logs),
    remove: explainUnreachable(where, remove),
    listWorkers: explainUnreachable(where, listWorkers),
    waitForExit: explainUnreachable(where, waitForExit),
    async close() {
      startErrors.clear();
    },
  };
}

/** How long a create refused for its name waits for the container of that name to be seen. */
const NAME_CONFLICT_WAIT_MS = 5_000;
/** How long a retried run's start waits for its earlier attempt's container to be removed. */
const EARLIER_ATTEMPT_REMOVAL_WAIT_MS = 10_000;

/** Docker answers 409 for a name in use; Podman sometimes 500 with "already in use". */
function isNameConflict(error: unknown): boolean {
  return engineStatus(error) === 409 || /already in use/.test(engineMessage(error));
}

const UNREACHABLE_CODES = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/** Turns "connect ENOENT" and the like into an error that says which engine is down and what to do. */
function explainUnreachable<A extends unknown[], R>(where: string, method: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await method(...args);
    } catch (error) {
      const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
      if (engineStatus(error) !== undefined || !UNREACHABLE_CODES.has(code)) throw error;
      throw new Error(
        `the container engine at ${where} does not answer (${code}); start it (scripts/podman-service.sh for Podman) ` +
          "or point DOCKER_HOST at a running one",
        { cause: error },
      );
    }
  };
}

/** Whether the image says what to run (an entrypoint or a command). */
function hasCommand(image: Docker.ImageInspectInfo): boolean {
  const config = image.Config as { Entrypoint?: string[] | string | null; Cmd?: string[] | null } | undefined;
  const entrypoint = config?.Entrypoint;
  return (Array.isArray(entrypoint) ? entrypoint.length > 0 : Boolean(entrypoint)) || (config?.Cmd?.length ?? 0) > 0;
}

function factsOf(info: Docker.ContainerInspectInfo): ContainerFacts {
  return {
    status: info.State.Status,
    exitCode: info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    error: info.State.Error,
    startedAt: info.State.StartedAt,
    memoryLimit: info.HostConfig.Memory ?? 0,
  };
}
