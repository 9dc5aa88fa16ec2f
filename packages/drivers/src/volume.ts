/**
 * Where a Data's content is, in the form a worker runtime mounts it. The store hands it out
 * (`DataStore.prepare`, `DataStore.volumeOf`) and the runtime mounts it (`WorkerMount.volume`);
 * everything in between (the engine) passes it through without looking inside. Which kinds a
 * runtime can mount is the runtime's business: it refuses the others with a WorkerStartError, so
 * a store and a runtime that do not fit together fail a run with a clear message, not silently.
 */
export type DataVolume =
  /** A folder on the machine of the container engine (local store; docker runtime bind-mounts it). */
  | { kind: "host-folder"; path: string }
  /** A PersistentVolumeClaim by name (a PVC store; a Kubernetes runtime mounts it). */
  | { kind: "claim"; claimName: string };

/** What a volume is, for messages: never a host path (a client may read the message). */
export function describeVolume(volume: DataVolume): string {
  return volume.kind === "claim" ? `claim "${volume.claimName}"` : "a host folder";
}
