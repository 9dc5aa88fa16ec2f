/**
 * The one place the server chooses its data store and worker runtime, by name from configuration
 * (`--store`, `--runtime`). Everything else speaks only of DataStore and WorkerRuntime, so a further
 * pair is a new entry here and nothing else. The kubernetes runtime mounts the local store's folders
 * as hostPath volumes (right for a single-machine cluster only) and the pvc store's claims by name
 * (any cluster); the docker runtime refuses claims with a clear error.
 */
import { join } from "node:path";
import { createLocalDataStore, dockerUnhonouredPlanSettings, type DataStore, type DataVolume, type UnhonouredPlanSettings, type WorkerRuntime } from "@knitfab/drivers";
// The sidecar rule alone: this module imports no Kubernetes client.
import { nurseRecordsLog, type NurseOptions } from "@knitfab/drivers/runtime/kubernetes/job-spec";
import { VERSION } from "./version.js";
import { lazyRuntime } from "@knitfab/engine";
import type { ServeConfig } from "./config.js";
import { ConfigError } from "./config-error.js";

/**
 * What a store is made from: the server's configuration, validated already. Asynchronous because a
 * driver's client library is loaded only when its store or runtime is chosen (see drivers' entries).
 */
type StoreFactory = (config: ServeConfig) => Promise<DataStore>;
/**
 * What a runtime is made from; called on first use (see lazyRuntime), so its client library loads
 * only then, and making it may fail until a container engine or cluster appears.
 */
type RuntimeFactory = (config: ServeConfig) => Promise<WorkerRuntime>;

interface Backend<F> {
  /** What `--help` and errors say of it. */
  summary: string;
  create: F;
}

interface RuntimeBackend extends Backend<RuntimeFactory> {
  /** What this runtime cannot honour of a plan, told when the plan is applied (the API role has no runtime of its own). */
  unhonoured: UnhonouredPlanSettings;
  /**
   * Which logs the runtime's workers write themselves (see WorkerRuntime.recordsLog), decided from
   * the configuration alone, so the engine knows before the runtime is made on first use.
   */
  recordsLog?: (config: ServeConfig) => (log: DataVolume) => boolean;
}

/** The log sidecar's settings, when the configuration turns it on (--nurse-secret). */
function nurseOf(kubernetes: ServeConfig["kubernetes"]): NurseOptions | undefined {
  return kubernetes.nurseSecret === undefined ? undefined : { image: kubernetes.agentImage, secretName: kubernetes.nurseSecret };
}

export const STORES: Readonly<Record<string, Backend<StoreFactory>>> = {
  local: {
    summary: "folders under <home>/data on this machine",
    create: async (config) => {
      const { maxBytes, maxEntries, reserveBytes } = config.uploads;
      return createLocalDataStore(join(config.home, "data"), {
        ...(maxBytes === undefined ? {} : { maxBytes }),
        ...(maxEntries === undefined ? {} : { maxEntries }),
        reserveBytes,
      });
    },
  },
  pvc: {
    summary: "a PersistentVolumeClaim per Data in a Kubernetes cluster, reached through data-agent Pods (--storage-class, --data-size, --agent-image; --kubeconfig, --namespace)",
    create: async ({ kubernetes, uploads }) => {
      const { createPvcDataStore, loadKubeConfig } = await import("@knitfab/drivers/kubernetes");
      const kubeConfig = loadKubeConfig(kubernetes.kubeconfig);
      return createPvcDataStore({
        kubeConfig,
        namespace: kubernetes.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? "default",
        ...(kubernetes.storageClass === undefined ? {} : { storageClassName: kubernetes.storageClass }),
        dataSize: kubernetes.dataSize,
        agentImage: kubernetes.agentImage,
        version: VERSION,
        limits: {
          ...(uploads.maxBytes === undefined ? {} : { maxBytes: uploads.maxBytes }),
          ...(uploads.maxEntries === undefined ? {} : { maxEntries: uploads.maxEntries }),
        },
      });
    },
  },
};

export const RUNTIMES: Readonly<Record<string, RuntimeBackend>> = {
  docker: {
    summary: "Docker or Podman through the Docker Engine API (DOCKER_HOST or the usual sockets)",
    create: async (config) => {
      const { createDockerRuntime } = await import("@knitfab/drivers/docker");
      return createDockerRuntime({ nodeLabels: config.nodeLabels });
    },
    unhonoured: dockerUnhonouredPlanSettings,
  },
  kubernetes: {
    summary: "a Job per run in a Kubernetes cluster (--kubeconfig or the in-cluster configuration, --namespace, --priority-class, --nurse-secret)",
    create: async ({ kubernetes }) => {
      const { createKubernetesRuntime } = await import("@knitfab/drivers/kubernetes");
      return createKubernetesRuntime({
        ...(kubernetes.kubeconfig === undefined ? {} : { kubeconfig: kubernetes.kubeconfig }),
        ...(kubernetes.namespace === undefined ? {} : { namespace: kubernetes.namespace }),
        ...(kubernetes.priorityClass === undefined ? {} : { priorityClassName: kubernetes.priorityClass }),
        // The log sidecar runs the server image, as the data agents do.
        ...(nurseOf(kubernetes) === undefined ? {} : { nurse: nurseOf(kubernetes) }),
      });
    },
    recordsLog: ({ kubernetes }) => {
      const nurse = nurseOf(kubernetes);
      return (log) => nurseRecordsLog(nurse === undefined ? {} : { nurse }, log);
    },
    // Service accounts, tolerations and node affinity are all the cluster's to honour.
    unhonoured: () => [],
  },
};

export interface Backends {
  store: DataStore;
  runtime: WorkerRuntime;
  unhonouredPlanSettings: UnhonouredPlanSettings;
}

/**
 * The store and the runtime the configuration names. An unknown name stops the start with the
 * names known; the runtime itself is made on first use, so the API serves before a container
 * engine is reachable.
 */
export async function createBackends(config: ServeConfig): Promise<Backends> {
  const store = known("--store", STORES, config.store);
  const runtime = known("--runtime", RUNTIMES, config.runtime);
  return {
    store: await store.create(config),
    runtime: lazyRuntime(config.runtime, () => runtime.create(config), runtime.recordsLog?.(config)),
    unhonouredPlanSettings: runtime.unhonoured,
  };
}

/** Checks the names alone, before anything is opened (config resolution calls it). */
export function checkBackendNames(config: Pick<ServeConfig, "store" | "runtime">): void {
  known("--store", STORES, config.store);
  known("--runtime", RUNTIMES, config.runtime);
}

function known<B extends Backend<unknown>>(flag: string, registry: Readonly<Record<string, B>>, name: string): B {
  const backend = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (backend === undefined) {
    const names = Object.entries(registry).map(([known, { summary }]) => `${known} (${summary})`);
    throw new ConfigError(`${flag} "${name}" is unknown; known: ${names.join("; ")}`);
  }
  return backend;
}
