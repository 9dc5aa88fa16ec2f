/**
 * Translation of a WorkerSpec into a Docker Engine API container creation body.
 * Pure: no engine is contacted here, so the mapping is tested on its own.
 */
import type Docker from "dockerode";
import { describeVolume } from "../volume.js";
import { cpuToNanoCpus, deviceCount, memoryToBytes } from "./quantities.js";
import { WORKER_LABELS, workerName, type WorkerSpec } from "./worker-runtime.js";

export const GPU_RESOURCE = "nvidia.com/gpu";

/**
 * The only capabilities a task keeps (all others are dropped), with no-new-privileges: what ordinary
 * ML images need to install packages and write as other users, and nothing that makes device files
 * (MKNOD), keeps setuid bits on modified files (FSETID), grants file capabilities (SETFCAP, SETPCAP),
 * opens raw sockets (NET_RAW) or chroots. What each kept one is for:
 * - CHOWN: `chown`, package managers and `pip install` setting owners of what they unpack;
 * - DAC_OVERRIDE: root writing files it does not own (the usual root-in-a-container);
 * - FOWNER: `chmod`/`touch` on files of other users, unpacking archives with their modes and times;
 * - SETUID, SETGID: switching to another user (`su`, `gosu`, apt's `_apt` sandbox user);
 * - KILL: a root entrypoint signalling the children it started as another user.
 */
export const WORKER_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL"] as const;

export function containerCreateOptions(spec: WorkerSpec): Docker.ContainerCreateOptions {
  const options: Docker.ContainerCreateOptions = {
    name: workerName(spec.runId),
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: {
      ...spec.labels,
      [WORKER_LABELS.runId]: spec.runId,
      [WORKER_LABELS.planId]: spec.planId,
      [WORKER_LABELS.worker]: "true",
    },
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: {
      // Never AutoRemove: the engine would lose the exit code before we read it.
      AutoRemove: false,
      Binds: spec.mounts.map(bindOf),
      ...resourceLimits(spec.resources),
      CapDrop: ["ALL"],
      CapAdd: [...WORKER_CAPABILITIES],
      SecurityOpt: ["no-new-privileges"],
    },
  };
  if (spec.entrypoint.length > 0) options.Entrypoint = spec.entrypoint;
  if (spec.args.length > 0) options.Cmd = spec.args;
  return options;
}

/** A bind mount of a host folder: the only kind of volume a container engine on this machine can mount. */
function bindOf(mount: WorkerSpec["mounts"][number]): string {
  const { volume } = mount;
  if (volume.kind !== "host-folder") {
    throw new Error(
      `the docker runtime cannot mount ${describeVolume(volume)} at ${mount.target}: it mounts folders of the local data store only; use --store local with --runtime docker`,
    );
  }
  for (const path of [volume.path, mount.target]) {
    // The bind syntax is colon separated; such a path would be read as another field.
    if (path.includes(":") || path.includes(",")) {
      throw new Error(`mount path "${path}" contains ":" or ","; the container engine cannot bind it. Use another path.`);
    }
    if (!path.startsWith("/")) {
      throw new Error(`mount path "${path}" is not absolute; bind mounts need absolute paths on both sides.`);
    }
  }
  return `${volume.path}:${mount.target}:${mount.readOnly ? "ro" : "rw"}`;
}

type ResourceLimits = Pick<Docker.HostConfig, "NanoCpus" | "Memory" | "MemorySwap" | "DeviceRequests">;

/**
 * Plan resources are Kubernetes limits. Resources a single engine has no notion of (for example
 * ephemeral-storage) are not enforced locally.
 */
export function resourceLimits(resources: Record<string, string>): ResourceLimits {
  const limits: ResourceLimits = {};
  const cpu = resources.cpu;
  if (cpu !== undefined) limits.NanoCpus = cpuToNanoCpus(cpu);
  const memory = resources.memory;
  if (memory !== undefined) {
    limits.Memory = memoryToBytes(memory);
    // Kubernetes containers do not swap; the same limit applies to memory plus swap.
    limits.MemorySwap = limits.Memory;
  }
  const gpu = resources[GPU_RESOURCE];
  if (gpu !== undefined) {
    const count = deviceCount(gpu);
    if (count > 0) limits.DeviceRequests = [{ Driver: "nvidia", Count: count, Capabilities: [["gpu"]] }];
  }
  return limits;
}
