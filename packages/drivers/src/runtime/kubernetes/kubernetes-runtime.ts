/**
 * The `kubernetes` worker runtime: one batch/v1 Job per run (`worker-run-<runId>`, see job-spec.ts)
 * in one namespace, through @kubernetes/client-node. The cluster's scheduler places workers by
 * on_node (tolerations and node affinity), so nothing is refused up front: a worker no node fits
 * stays pending, with the scheduler's reason.
 */
import { setMaxListeners } from "node:events";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { BatchV1Api, CoreV1Api, KubeConfig, Log, Watch, type V1Job, type V1Pod } from "@kubernetes/client-node";
import type { DataVolume } from "../../volume.js";
import { WORKER_LABELS, WorkerStartError, workerName, type LogOptions, type NodePlacement, type WorkerRuntime, type WorkerSpec, type WorkerState } from "../worker-runtime.js";
import { isRefusal, isTransient, messageOf, statusOf } from "./api-errors.js";
import { MAIN_CONTAINER, nurseRecordsLog, workerJob, type NurseOptions } from "./job-spec.js";
import { workerStateOf } from "./job-state.js";
import { endWhenSourceBreaks } from "./piped-log.js";

export interface KubernetesRuntimeOptions {
  /** A kubeconfig file; default: the in-cluster configuration (the server runs in a Pod). */
  kubeconfig?: string;
  /** The namespace of the workers; default: the kubeconfig context's namespace, else "default". */
  namespace?: string;
  /** The workers' PriorityClass; none by default. */
  priorityClassName?: string;
  /** Image of the init container that checks outputs are empty; default: the run's image. */
  helperImage?: string;
  /**
   * The log sidecar: a run whose log is a claim gets a `nurse` container that writes the log into
   * it inside the pod (then the engine does not). Without it the engine records the log through the API.
   */
  nurse?: NurseOptions;
  /** How often a followed log waits to find its container started (default 500 ms). */
  pollMs?: number;
}

/** `undefined` for a 404, the value otherwise; other errors are thrown. */
async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** A kubeconfig file's configuration, or the in-cluster one; throws a clear error when there is neither. */
export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfig) {
    config.loadFromFile(kubeconfig);
  } else {
    // Without these, loadFromCluster "succeeds" with a server of https://undefined:undefined.
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
      throw new Error("not in a Kubernetes pod (KUBERNETES_SERVICE_HOST is unset): give --kubeconfig <file> to reach a cluster from outside");
    }
    config.loadFromCluster();
  }
  return config;
}

export function createKubernetesRuntime(options: KubernetesRuntimeOptions = {}): WorkerRuntime {
  const config = loadKubeConfig(options.kubeconfig);
  const namespace = options.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? "default";
  return new KubernetesRuntime(config, { ...options, namespace });
}

class KubernetesRuntime implements WorkerRuntime {
  readonly name = "kubernetes";
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  /** Aborted by close: ends every watch and log follow still open. */
  private readonly closing = new AbortController();

  constructor(
    private readonly config: KubeConfig,
    private readonly options: KubernetesRuntimeOptions & { namespace: string },
  ) {
    this.batch = config.makeApiClient(BatchV1Api);
    this.core = config.makeApiClient(CoreV1Api);
    this.namespace = options.namespace;
    // Every worker watched at once listens for close (16 by default, KNITFAB_MAX_WORKERS more):
    // not a leak, so no MaxListenersExceededWarning at 11 (seen in bench/kube-scale.mjs).
    setMaxListeners(0, this.closing.signal);
  }

  async start(spec: WorkerSpec): Promise<void> {
    const body = workerJob(spec, {
      namespace: this.namespace,
      ...(this.options.priorityClassName ? { priorityClassName: this.options.priorityClassName } : {}),
      ...(this.options.helperImage ? { helperImage: this.options.helperImage } : {}),
      ...(this.options.nurse ? { nurse: this.options.nurse } : {}),
    });
    for (let tries = 1; ; tries++) {
      try {
        await this.batch.createNamespacedJob({ namespace: this.namespace, body });
        return;
      } catch (error) {
        const status = statusOf(error);
        // Invalid: the API server refused the spec (a limit, a path, an image name); the same start cannot succeed.
        if (status === 422 || status === 400) {
          throw new WorkerStartError("CreateContainerConfigError", `the worker Job of run ${spec.runId} is invalid: ${messageOf(error)}`, true, { cause: error });
        }
        if (status !== 409) throw error;
      }
      // AlreadyExists. This attempt's worker (a start repeated after a crash) is left alone. The
      // Job of the run's attempt before (a retry gives new output Data, so other claims) may still
      // be there, as finishing deletes ended workers after recording the run: left there, its end
      // would be taken for this attempt's and the new outputs stay empty. So it is replaced.
      const existing = await this.readJob(spec.runId);
      if (existing && !existing.metadata?.deletionTimestamp && volumeSources(existing) === volumeSources(body)) return;
      if (tries >= 3) {
        throw new WorkerStartError("CreateContainerError", `the worker Job of run ${spec.runId}'s attempt before is still being deleted`, false);
      }
      if (existing && !existing.metadata?.deletionTimestamp) await this.remove(spec.runId);
      for (let waited = 0; waited < 10_000 && (await this.readJob(spec.runId)) !== undefined; waited += 200) await sleep(200);
    }
  }

  /** The cluster's scheduler makes a worker wait by itself (pending, with its reason): never refused here. */
  unplaceable(_onNode: NodePlacement): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  recordsLog(log: DataVolume): boolean {
    return nurseRecordsLog(this.options, log);
  }

  async inspect(runId: string): Promise<WorkerState> {
    const job = await this.readJob(runId);
    if (!job) return { phase: "missing" };
    return workerStateOf(job, await this.podsOf(job));
  }

  async logs(runId: string, options: LogOptions): Promise<NodeJS.ReadableStream | undefined> {
    const job = await this.readJob(runId);
    if (!job || job.metadata?.deletionTimestamp) return undefined;
    const out = new PassThrough();
    void this.streamLog(job, options, out).catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
    return out;
  }

  /**
   * Through the Pod log API of the main container. A followed log first waits for the container to
   * have started (the API refuses a waiting container), as the reference's log sidecar does.
   */
  private async streamLog(job: V1Job, options: LogOptions, out: PassThrough): Promise<void> {
    let pod: V1Pod | undefined;
    for (;;) {
      if (out.destroyed || this.closing.signal.aborted) return void out.end();
      const current = await this.readJob(job.metadata?.labels?.[WORKER_LABELS.runId] ?? "");
      if (!current) return void out.end();
      pod = newest(await this.podsOf(current));
      const main = pod?.status?.containerStatuses?.find((status) => status.name === MAIN_CONTAINER);
      if (main?.state?.running || main?.state?.terminated) break;
      // Main has not run: nothing to read now, or ever (the pod or Job ended without it, e.g. init failed).
      const podEnded = ["Succeeded", "Failed"].includes(pod?.status?.phase ?? "");
      const jobEnded = ["succeeded", "failed", "missing"].includes(workerStateOf(current, []).phase);
      if (!options.follow || podEnded || jobEnded) return void out.end();
      await sleep(this.options.pollMs ?? 500);
    }
    const name = pod?.metadata?.name;
    if (!name) return void out.end();
    // A followed log may end before the container does (the connection through the API server
    // cut, a kubelet restarting): follow again and skip what was already passed on.
    let passed = 0;
    let follow = options.follow;
    for (;;) {
      const piece = new PassThrough();
      let skip = passed;
      piece.on("data", (chunk: Buffer) => {
        const fresh = skip >= chunk.length ? undefined : chunk.subarray(skip);
        skip = Math.max(0, skip - chunk.length);
        if (fresh === undefined || out.destroyed) return;
        passed += fresh.length;
        out.write(fresh);
      });
      const ended = new Promise<void>((resolve, reject) => {
        piece.once("end", resolve);
        piece.once("close", resolve);
        piece.once("error", reject);
      });
      // A response cut by the API server going away ends `piece` like any cut follow (piped-log.ts).
      endWhenSourceBreaks(piece);
      const controller = await this.outlastingOutages(() => new Log(this.config).log(this.namespace, name, MAIN_CONTAINER, piece, { follow }));
      const stop = () => controller.abort();
      this.closing.signal.addEventListener("abort", stop, { once: true });
      const abandon = () => controller.abort();
      out.once("close", abandon);
      try {
        await ended;
      } finally {
        this.closing.signal.removeEventListener("abort", stop);
        out.off("close", abandon);
      }
      if (!follow || out.destroyed || this.closing.signal.aborted) break;
      const current = await this.outlastingOutages(() => orMissing(this.core.readNamespacedPod({ name, namespace: this.namespace })));
      const main = current?.status?.containerStatuses?.find((status) => status.name === MAIN_CONTAINER);
      if (!current || current.metadata?.deletionTimestamp) break;
      // Still running: follow again. Ended: read it whole once more, in case the follow was cut
      // before its last lines.
      if (!main?.state?.running) follow = false;
    }
    if (!out.destroyed) out.end();
  }

  async remove(runId: string): Promise<void> {
    // Background: the Job goes at once and the garbage collector deletes its pods; the pods are
    // also deleted here, so a running task is stopped now rather than when the collector comes by.
    await orMissing(this.batch.deleteNamespacedJob({ name: workerName(runId), namespace: this.namespace, propagationPolicy: "Background" }));
    const pods = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${WORKER_LABELS.runId}=${runId}` });
    for (const pod of pods.items) {
      const name = pod.metadata?.name;
      if (name && !pod.metadata?.deletionTimestamp) await orMissing(this.core.deleteNamespacedPod({ name, namespace: this.namespace }));
    }
  }

  async listWorkers(): Promise<string[]> {
    const jobs = await this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector: `${WORKER_LABELS.worker}=true` });
    return jobs.items.flatMap((job) => {
      const runId = job.metadata?.labels?.[WORKER_LABELS.runId];
      return runId && !job.metadata?.deletionTimestamp ? [runId] : [];
    });
  }

  /**
   * Watches the run's Job (from the version just read, so no change is missed) until it has a
   * Complete or Failed condition or is deleted; a watch the server closes is opened again after
   * reading the Job anew, and that read outlasts an API server restart (outlastingOutages).
   */
  async waitForExit(runId: string, signal: AbortSignal): Promise<void> {
    const ended = (job: V1Job | undefined) => {
      const phase = workerStateOf(job, []).phase;
      return phase === "missing" || phase === "succeeded" || phase === "failed";
    };
    for (;;) {
      signal.throwIfAborted();
      if (this.closing.signal.aborted) return;
      let job: V1Job | undefined;
      try {
        job = await this.outlastingOutages(() => this.readJob(runId), signal);
      } catch (error) {
        signal.throwIfAborted();
        if (this.closing.signal.aborted) return;
        throw error;
      }
      if (ended(job)) return;
      const seen = await new Promise<"ended" | "again">((resolve, reject) => {
        let controller: AbortController | undefined;
        let settled = false;
        const onAbort = () => {
          settled = true;
          controller?.abort();
          if (signal.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
          else resolve("ended");
        };
        const settle = (outcome: "ended" | "again") => {
          settled = true;
          signal.removeEventListener("abort", onAbort);
          this.closing.signal.removeEventListener("abort", onAbort);
          controller?.abort();
          resolve(outcome);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        this.closing.signal.addEventListener("abort", onAbort, { once: true });
        new Watch(this.config)
          .watch(
            `/apis/batch/v1/namespaces/${this.namespace}/jobs`,
            { fieldSelector: `metadata.name=${workerName(runId)}`, resourceVersion: job?.metadata?.resourceVersion, allowWatchBookmarks: false },
            (type: string, object: V1Job) => {
              if (type === "DELETED" || (type !== "ERROR" && ended(object))) settle("ended");
              else if (type === "ERROR") settle("again");
            },
            () => settle("again"),
          )
          .then(
            (started) => {
              controller = started;
              if (settled) started.abort();
            },
            () => settle("again"),
          );
      });
      if (seen === "ended") return;
      await sleep(200, undefined, { signal }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  /**
   * `call`, tried again with a growing delay (retryDelayMs) while the API server cannot be reached or
   * answers that it cannot serve now (isTransient: a restart, an overload), and while it refuses
   * for less than REFUSAL_GRACE_MS: a freshly started kube-apiserver answers 403 until its
   * authoriser has loaded RBAC (seen in the tests' restarts). Any other failure is thrown, and the
   * last one once `signal` or close aborts the wait.
   */
  private async outlastingOutages<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const stop = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    let failures = 0;
    let refusedSince: number | undefined;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (isRefusal(error)) refusedSince ??= Date.now();
        const startingUp = refusedSince !== undefined && isRefusal(error) && Date.now() - refusedSince < REFUSAL_GRACE_MS;
        if ((!isTransient(error) && !startingUp) || stop.aborted) throw error;
        failures += 1;
        await sleep(retryDelayMs(failures), undefined, { signal: stop }).catch(() => undefined);
        if (stop.aborted) throw error;
      }
    }
  }

  private readJob(runId: string): Promise<V1Job | undefined> {
    return orMissing(this.batch.readNamespacedJob({ name: workerName(runId), namespace: this.namespace }));
  }

  /** The Job's pods, by the Job's own selector (its controller-uid), so another Job's pods never count. */
  private async podsOf(job: V1Job): Promise<V1Pod[]> {
    const match = job.spec?.selector?.matchLabels ?? {};
    const labelSelector = Object.entries(match)
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    if (labelSelector === "") return [];
    return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector })).items;
  }
}

/** What a Job's pods mount, as `volume=claim or host path` lines: two attempts of a run differ in their outputs. */
function volumeSources(job: V1Job): string {
  return (job.spec?.template.spec?.volumes ?? [])
    .map((volume) => `${volume.name}=${volume.persistentVolumeClaim?.claimName ?? volume.hostPath?.path ?? ""}`)
    .sort()
    .join("\n");
}

/** The longest wait between two tries of a call while the API server is away (outlastingOutages). */
const RETRY_MAX_MS = 5_000;

/** How long 401 and 403 answers in a row are taken for an API server still starting. */
const REFUSAL_GRACE_MS = 60_000;

/** 200 ms after the first failure in a row, doubling up to RETRY_MAX_MS. */
function retryDelayMs(failures: number): number {
  return Math.min(200 * 2 ** (failures - 1), RETRY_MAX_MS);
}

function newest(pods: readonly V1Pod[]): V1Pod | undefined {
  return [...pods].sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0)).pop();
}
