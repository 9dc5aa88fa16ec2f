/**
 * The worker runtime the engine drives: one worker (container, Job, ...) per run.
 * Nothing here names a particular engine, so Docker/Podman and Kubernetes Jobs fit the same shape:
 * Data arrive as opaque DataVolumes from the store, and placement (`onNode`) is decided here, by the
 * runtime, from what it knows of its nodes.
 */
import type { DataVolume } from "../volume.js";

export interface WorkerMount {
  /** The Data, as the store handed it out; only the runtime looks inside (and may refuse a kind it cannot mount). */
  volume: DataVolume;
  /** Path inside the worker. */
  target: string;
  readOnly: boolean;
}

/** A node label `key=value`, as a plan's on_node names it. */
export interface NodeLabel {
  key: string;
  value: string;
}

/**
 * Where a worker may run (the plan's on_node, spec/model.md): the reference's meaning, as
 * Kubernetes tolerations and node affinity. `may`: allowed on nodes with these labels (a toleration);
 * `prefer`: rather on such nodes; `must`: only on a node that has, for each key, one of its values.
 */
export interface NodePlacement {
  may: NodeLabel[];
  prefer: NodeLabel[];
  must: NodeLabel[];
}

export const ANY_NODE: NodePlacement = { may: [], prefer: [], must: [] };

export interface WorkerSpec {
  runId: string;
  planId: string;
  /** Image reference including its tag, e.g. `localhost/train:1.0`. */
  image: string;
  /** Replaces the image's entrypoint when non-empty. */
  entrypoint: string[];
  /** Replaces the image's command when non-empty. */
  args: string[];
  env: Record<string, string>;
  mounts: WorkerMount[];
  /** Kubernetes quantities: `"cpu": "500m"`, `"memory": "1Gi"`, `"nvidia.com/gpu": "1"`. */
  resources: Record<string, string>;
  labels: Record<string, string>;
  /** The Kubernetes service account the worker runs as; a runtime without such a notion ignores it. */
  serviceAccount?: string;
  /** Where the worker may run; the runtime decides placement (see WorkerUnschedulableError). */
  onNode: NodePlacement;
  /**
   * The run's log Data, when the plan has a log. A runtime that records the log inside the worker
   * (see WorkerRuntime.recordsLog) mounts it there; the others ignore it.
   */
  log?: DataVolume;
}

export type WorkerState =
  | { phase: "missing" }
  /**
   * Created but not running yet; `stuck` when it cannot make progress by itself (e.g. image not
   * found); `waiting` says why it waits when it may still start by itself (e.g. Unschedulable: no
   * node fits yet), for users to see.
   */
  | { phase: "pending"; stuck?: { reason: string; message: string }; waiting?: { reason: string; message: string } }
  | { phase: "running" }
  | { phase: "succeeded" }
  /** `message` follows the reference: `(container main) Error`, `(container main) OOMKilled`. */
  | { phase: "failed"; exitCode: number; message: string };

export interface LogOptions {
  /** Keep the stream open until the worker ends. */
  follow: boolean;
}

/**
 * The runtime cannot make the run's worker: the image cannot be pulled, the spec cannot be expressed
 * (a limit, a mount path, no command at all), or the engine refused the container. `reason` is the
 * word Kubernetes reports for the same situation (`ErrImagePull`, `CreateContainerConfigError`,
 * `CreateContainerError`), so run exits read alike on every runtime. `final` when trying the same
 * start again cannot help; otherwise the caller may try a few more times.
 */
export class WorkerStartError extends Error {
  override name = "WorkerStartError";
  constructor(
    readonly reason: string,
    message: string,
    readonly final: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * No node this runtime knows can take the worker now (its `onNode.must` labels are nowhere), and
 * nothing was created. Not a failure: the run waits, with `message` (which says what is missing and
 * how to provide it) shown to users, and the start is tried again later. A runtime whose scheduler
 * waits by itself (Kubernetes) may instead create the worker and report it pending.
 */
export class WorkerUnschedulableError extends Error {
  override name = "WorkerUnschedulableError";
  /** The word Kubernetes reports for the same situation. */
  readonly reason = "Unschedulable";
}

export interface WorkerRuntime {
  readonly name: string;
  /**
   * Creates and starts the worker of a run. Idempotent: an existing worker for the run is left alone.
   * Throws WorkerStartError when the worker cannot be made (see there), WorkerUnschedulableError
   * when it cannot be placed yet; other errors are transient.
   */
  start(spec: WorkerSpec): Promise<void>;
  /**
   * Why a worker placed so cannot run now (what is missing, and how to provide it), or undefined
   * when it can, or when this runtime's scheduler makes it wait by itself. Touches nothing. The
   * engine asks before a start's before-hooks, so a waiting run does not call them again and again;
   * `start` checks again (WorkerUnschedulableError), as labels may change in between.
   */
  unplaceable(onNode: NodePlacement): Promise<string | undefined>;
  inspect(runId: string): Promise<WorkerState>;
  /**
   * Whether a worker started with this log volume writes its log into it by itself (the kubernetes
   * runtime's log sidecar, for a claim): then nobody else may write that log, so the engine neither
   * records it while the worker runs nor copies it at the end. Absent or false: the engine records
   * it from `logs`. Decided from configuration only, with no call to the engine.
   */
  recordsLog?(log: DataVolume): boolean;
  /** stdout and stderr interleaved, raw bytes; undefined when the run has no worker. */
  logs(runId: string, options: LogOptions): Promise<NodeJS.ReadableStream | undefined>;
  /** Stops (killing if needed) and deletes the worker. Idempotent. */
  remove(runId: string): Promise<void>;
  /** Run ids of every worker this runtime can see (by label), for orphan cleanup. */
  listWorkers(): Promise<string[]>;
  /** Resolves when the worker is no longer running (or does not exist); rejects when `signal` aborts. */
  waitForExit?(runId: string, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The name of a run's worker, shared with the reference (`worker-run-<runId>`). */
export function workerName(runId: string): string {
  return `worker-run-${runId}`;
}

/** Labels every worker carries, so workers can be found again after a restart. */
export const WORKER_LABELS = {
  runId: "knitfab/run-id",
  planId: "knitfab/plan-id",
  worker: "knitfab/worker",
} as const;
