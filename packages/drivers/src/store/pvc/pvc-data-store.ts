/**
 * The `pvc` DataStore: each Data is a PersistentVolumeClaim `data-knitid-<knitId>` (spec/loops.md
 * §8.3) on a configurable StorageClass, in one namespace; the server never mounts one. Everything
 * that reads or writes content goes through a data-agent Pod that mounts the claim (agent-pods.ts,
 * data-agent.ts), one Pod per operation, deleted when the operation ends (a finally, or the end of
 * the stream handed out), and swept by housekeeping when that was lost (listPartials/removePartial
 * list and remove such leftover agents; `sweep` does both at once).
 *
 * What the store keeps on the claim itself:
 * - labels `knit/data.knitid` (exists, list), the reference's metasource labels;
 * - annotation `knitfab.io/sealed: "true"` once the content is complete (seal, receive);
 * - annotation `knitfab.io/prepared-for` once the volume's root was opened to its writer (prepare).
 *
 * Best effort only, on a cluster (said at each place too):
 * - freeSpace: a claim's capacity is the provisioner's business (NFS shares one export): undefined.
 * - remove: waits a bounded time for the claim to be gone; a claim held by a finalizer past that
 *   is left to the cluster (its deletion is recorded; exists/list no longer count it).
 * - a receive whose server dies mid-way leaves an unsealed claim with a hidden partial folder; the
 *   next upload to it clears the partial, and the pseudo-run's failure leads GC to the claim.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { PassThrough, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { KnitError, UnavailableError } from "@knitfab/domain/errors";
import { dataPathParts } from "../browse.js";
import type { DataFileList, DataStore, OutgoingData, PartialUpload, ReceivedData, UploadLimits } from "../data-store.js";
import type { DefuseReport } from "../defuse-tree.js";
import {
  DataMissingError,
  DataSealedError,
  InvalidKnitIdError,
  StoreFailureError,
  UnsafeDataPathError,
  DataExistsError,
} from "../errors.js";
import type { DataVolume } from "../../volume.js";
import { verifyChecksum } from "../verify-checksum.js";
import type { AgentMode } from "./agent-protocol.js";
import { agentFailure, openAgentRequest } from "./agent-http.js";
import { deleteAgentPod, isAgentPod, isSweepable, KNITID_LABEL as AGENT_KNITID_LABEL, listAgentPods, startAgentPod, type AgentPodSettings, type RunningAgent } from "./agent-pods.js";

/** A knitId names a claim and is part of an agent Pod's name (≤ 63): lower-case DNS label characters. */
const KNIT_ID = /^[a-z0-9]([-a-z0-9]{0,42}[a-z0-9])?$/;
const REFERENCE_PREFIX = "data-knitid-";
const DATA_COMPONENT = "data";
export const DATA_KNITID_LABEL = `knit/${DATA_COMPONENT}.knitid`;
export const SEALED_ANNOTATION = "knitfab.io/sealed";
export const PREPARED_ANNOTATION = "knitfab.io/prepared-for";
/** A leftover agent as housekeeping sees it: `<knitId>.<pod name>` (housekeeping reads the knitId before the dot). */
const PARTIAL_NAME = /^([a-z0-9-]+)\.([a-z0-9][a-z0-9-]*)$/;

export interface PvcDataStoreOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** StorageClass of the claims; unset: the cluster's default class. */
  storageClassName?: string;
  /** Requested size of each claim, e.g. "1Gi" (the reference's initial capacity). */
  dataSize: string;
  /** Access modes of each claim (default ReadWriteMany, as the reference's: workers and agents on any node). */
  accessModes?: string[];
  /** The server image, whose `knitfab data-agent` subcommand is the agent. */
  agentImage: string;
  agentImagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Port the agent listens on in its Pod (default 8080). */
  agentPort?: number;
  /** Seconds for a claim to be Bound and an agent to run (default 30, the reference's). */
  startSeconds?: number;
  /** Seconds an agent may live at all before sweep removes it (default 3600). */
  agentLifetimeSeconds?: number;
  limits?: UploadLimits;
  /** The knitfab version, for the reference's labels. */
  version?: string;
}

export interface PvcDataStore extends DataStore {
  /** Removes every leftover agent Pod (ended, or past its lifetime); returns their names. */
  sweep(now?: Date): Promise<string[]>;
}

export function createPvcDataStore(options: PvcDataStoreOptions): PvcDataStore {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const namespace = options.namespace;
  const startSeconds = options.startSeconds ?? 30;
  const settings: AgentPodSettings = {
    namespace,
    image: options.agentImage,
    port: options.agentPort ?? 8080,
    startSeconds,
    lifetimeSeconds: options.agentLifetimeSeconds ?? 3600,
    requestDeadlineSeconds: 180,
    limits: options.limits ?? {},
    version: options.version ?? "unknown",
    ...(options.agentImagePullPolicy ? { imagePullPolicy: options.agentImagePullPolicy } : {}),
  };

  const claimNameOf = (knitId: string): string => `${REFERENCE_PREFIX}${checkedKnitId(knitId)}`;

  /** The claim of `knitId`, undefined when absent or being deleted (a deleted Data is gone for us). */
  const readClaim = async (knitId: string): Promise<V1PersistentVolumeClaim | undefined> => {
    const claim = await orMissing(core.readNamespacedPersistentVolumeClaim({ namespace, name: claimNameOf(knitId) }));
    return claim?.metadata?.deletionTimestamp === undefined ? claim : undefined;
  };
  const isSealed = (claim: V1PersistentVolumeClaim | undefined): boolean => claim?.metadata?.annotations?.[SEALED_ANNOTATION] === "true";

  /** Creates the claim if absent; true when this call created it. */
  const createClaim = async (knitId: string): Promise<boolean> => {
    const name = claimNameOf(knitId);
    try {
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: {
            name,
            labels: {
              "app.kubernetes.io/version": settings.version,
              "app.kubernetes.io/name": DATA_COMPONENT,
              "app.kubernetes.io/instance": name,
              "app.kubernetes.io/component": DATA_COMPONENT,
              "app.kubernetes.io/part-of": "knit",
              "app.kubernetes.io/managed-by": "knit",
              [DATA_KNITID_LABEL]: knitId,
            },
          },
          spec: {
            accessModes: options.accessModes ?? ["ReadWriteMany"],
            ...(options.storageClassName === undefined ? {} : { storageClassName: options.storageClassName }),
            resources: { requests: { storage: options.dataSize } },
          },
        },
      });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  };

  const waitBound = async (knitId: string): Promise<void> => {
    const until = Date.now() + startSeconds * 1000;
    for (;;) {
      const claim = await readClaim(knitId);
      if (claim === undefined) throw new DataMissingError(knitId);
      if (claim.status?.phase === "Bound") return;
      if (Date.now() > until) throw new UnavailableError(`claim ${claimNameOf(knitId)} was not bound within ${startSeconds}s; please retry later.`);
      await sleep(200);
    }
  };

  /** Sets labels and annotations of the Data's claim in one request. */
  const patchClaimMetadata = async (knitId: string, metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }): Promise<void> => {
    await core.patchNamespacedPersistentVolumeClaim(
      { namespace, name: claimNameOf(knitId), body: { metadata } },
      // A JSON merge patch: only the labels and annotations given change.
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  };

  const deleteClaim = async (knitId: string): Promise<void> => {
    await orMissing(core.deleteNamespacedPersistentVolumeClaim({ namespace, name: claimNameOf(knitId), gracePeriodSeconds: 0 }));
  };

  /**
   * Runs `use` with an agent of `mode` on the claim; the agent Pod is deleted when the returned
   * promise settles, unless `use` hands the release over (for a stream that outlives it).
   */
  const withAgent = async <T>(knitId: string, mode: AgentMode, use: (agent: RunningAgent, keep: () => () => Promise<void>) => Promise<T>): Promise<T> => {
    const agent = await startAgentPod(core, settings, knitId, claimNameOf(knitId), mode);
    let kept = false;
    const release = (): Promise<void> => deleteAgentPod(core, namespace, agent.name);
    try {
      return await use(agent, () => {
        kept = true;
        return release;
      });
    } finally {
      if (!kept) await release();
    }
  };

  /** A request to the agent, retried while the fresh Pod does not listen yet. */
  const open = (agent: RunningAgent, method: string, path: string, headers?: Record<string, string>) =>
    openAgentRequest(agent.base, { method, path, ...(headers ? { headers } : {}) }, Date.now() + startSeconds * 1000);

  /** A streamed response body that deletes its agent when it ends or its reader goes away. */
  const releasing = (response: IncomingMessage, release: () => Promise<void>): Readable => {
    const out = new PassThrough();
    response.pipe(out);
    response.once("error", (error) => out.destroy(error));
    response.once("aborted", () => out.destroy(new StoreFailureError(new Error("the data agent went away"))));
    let released = false;
    const once = (): void => {
      if (released) return;
      released = true;
      response.destroy();
      void release();
    };
    out.once("close", once);
    out.once("end", once);
    return out;
  };

  const unsealedOrThrow = async (knitId: string): Promise<void> => {
    const claim = await readClaim(knitId);
    if (claim === undefined) throw new DataMissingError(knitId);
    if (isSealed(claim)) throw new DataSealedError(knitId);
  };
  const sealedOrThrow = async (knitId: string): Promise<void> => {
    if (!isSealed(await readClaim(knitId))) throw new DataMissingError(knitId);
  };
  const presentOrThrow = async (knitId: string): Promise<void> => {
    if ((await readClaim(knitId)) === undefined) throw new DataMissingError(knitId);
  };

  const listPartials = async (now = new Date()): Promise<PartialUpload[]> => {
    const found: PartialUpload[] = [];
    for (const pod of await listAgentPods(core, namespace)) {
      const name = pod.metadata?.name ?? "";
      const knitId = pod.metadata?.labels?.[AGENT_KNITID_LABEL] ?? "";
      if (!isSweepable(pod, now)) continue;
      found.push({ name: `${knitId}.${name}`, mtime: pod.metadata?.creationTimestamp ?? new Date(0) });
    }
    return found;
  };
  const removePartial = async (name: string): Promise<void> => {
    const match = PARTIAL_NAME.exec(name);
    if (!match) throw new InvalidKnitIdError(name);
    // Only a data agent is removed by name: any other Pod of the namespace is left alone.
    const pod = await orMissing(core.readNamespacedPod({ namespace, name: match[2]! }));
    if (pod !== undefined && isAgentPod(pod)) await deleteAgentPod(core, namespace, match[2]!);
  };

  return {
    volumeOf: (knitId): DataVolume => ({ kind: "claim", claimName: claimNameOf(knitId) }),
    referenceOf: (knitId) => claimNameOf(knitId),
    knitIdOfReference(reference) {
      if (!reference.startsWith(REFERENCE_PREFIX)) return undefined;
      const knitId = reference.slice(REFERENCE_PREFIX.length);
      return KNIT_ID.test(knitId) ? knitId : undefined;
    },

    async receive(knitId, tarGz, checksum): Promise<ReceivedData> {
      checkedKnitId(knitId);
      let sourceError: unknown;
      tarGz.once("error", (error) => (sourceError = error));
      try {
        if (isSealed(await readClaim(knitId))) throw new DataExistsError(knitId);
        const created = await createClaim(knitId);
        try {
          await waitBound(knitId);
          const received = await withAgent(knitId, "write", async (agent) => {
            const { request, response } = await open(agent, "POST", "/", {
              "content-type": "application/tar+gzip",
              "transfer-encoding": "chunked",
              trailer: "x-checksum-md5",
            });
            const hash = createHash("md5");
            try {
              for await (const chunk of tarGz) {
                hash.update(chunk as Buffer);
                if (!request.write(chunk)) await Promise.race([once(request, "drain"), response.then(() => undefined)]);
                if (request.destroyed) break;
              }
            } catch (error) {
              request.destroy();
              throw error;
            }
            const md5 = hash.digest("hex");
            try {
              verifyChecksum(checksum, md5);
            } catch (error) {
              // The agent never sees a complete upload: it discards what it extracted.
              request.destroy();
              throw error;
            }
            // The agent checks the bytes it got against ours: what the network altered is refused there.
            request.addTrailers({ "x-checksum-md5": md5 });
            request.end();
            const answer = await response;
            if (answer.statusCode !== 204) throw await agentFailure(knitId, answer);
            answer.resume();
            return { files: Number(answer.headers["x-files"] ?? 0), bytes: Number(answer.headers["x-bytes"] ?? 0), md5 };
          });
          await patchClaimMetadata(knitId, { annotations: { [SEALED_ANNOTATION]: "true" } });
          return received;
        } catch (error) {
          // Nothing of a failed upload stays visible: a claim made for it goes with it.
          if (created) await deleteClaim(knitId).catch(() => undefined);
          throw error;
        }
      } catch (error) {
        // The source's own failure (a client gone) is reported as it is; it is not the store's.
        if (sourceError !== undefined) throw sourceError;
        throw storeError(error);
      }
    },

    send: (knitId) =>
      kubeErrors(async (): Promise<OutgoingData> => {
        await presentOrThrow(knitId);
        return withAgent(knitId, "read", async (agent, keep) => {
          const { request, response } = await open(agent, "GET", "/");
          request.end();
          const answer = await response;
          if (answer.statusCode !== 200) throw await agentFailure(knitId, answer);
          const hash = createHash("md5");
          let digest: string | undefined;
          answer.on("data", (chunk: Buffer) => hash.update(chunk));
          answer.once("end", () => {
            digest = hash.digest("hex");
            const announced = answer.trailers["x-checksum-md5"];
            // The agent's own checksum of what it sent: a difference is damage on the way.
            if (announced !== undefined && announced !== digest) stream.destroy(new StoreFailureError(new Error("the data agent's checksum does not match what arrived")));
          });
          const stream = releasing(answer, keep());
          return {
            stream,
            md5: () => {
              if (digest === undefined) throw new Error("md5 is not available before the stream has ended");
              return digest;
            },
          };
        });
      }),

    exists: (knitId) => kubeErrors(async () => (await readClaim(checkedKnitId(knitId))) !== undefined),

    // The reference checks the importer's claim for up to 3 s the same way.
    volumeReady: (knitId, waitMs) =>
      kubeErrors(async () => {
        checkedKnitId(knitId);
        const until = Date.now() + waitMs;
        for (;;) {
          if ((await readClaim(knitId))?.status?.phase === "Bound") return true;
          if (Date.now() >= until) return false;
          await sleep(200);
        }
      }),

    // Best effort: waits a bounded time (the start timeout) for the claim to be gone.
    remove: (knitId) =>
      kubeErrors(async () => {
        checkedKnitId(knitId);
        await deleteClaim(knitId);
        const until = Date.now() + startSeconds * 1000;
        while (Date.now() < until) {
          const claim = await orMissing(core.readNamespacedPersistentVolumeClaim({ namespace, name: claimNameOf(knitId) }));
          if (claim === undefined) return;
          // The GC loop of the reference polls every 50 ms too.
          await sleep(50);
        }
      }),

    prepare: (knitId, writer = "worker") =>
      kubeErrors(async () => {
        checkedKnitId(knitId);
        const claim = await readClaim(knitId);
        if (isSealed(claim)) throw new DataSealedError(knitId);
        // A custom importer makes the claim itself, with a volume of its choosing, under the name
        // the token's `sub` gives (spec/api.md §4.6, the admin guide's 7.4): made here first, the
        // importer's own create would fail with AlreadyExists. Only the name is reserved.
        if (writer === "importer") return { kind: "claim", claimName: claimNameOf(knitId) } satisfies DataVolume;
        if (claim === undefined) await createClaim(knitId);
        await waitBound(knitId);
        // The volume's root is opened to its writer once. Both kinds are Pods here, running as any
        // user of their image (an importer is not a process of the server's user, as it is locally).
        if ((await readClaim(knitId))?.metadata?.annotations?.[PREPARED_ANNOTATION] !== writer) {
          await withAgent(knitId, "write", async (agent) => {
            const { request, response } = await open(agent, "POST", "/prepare?writer=worker");
            request.end();
            const answer = await response;
            if (answer.statusCode !== 204) throw await agentFailure(knitId, answer);
            answer.resume();
          });
          await patchClaimMetadata(knitId, { annotations: { [PREPARED_ANNOTATION]: writer } });
        }
        return { kind: "claim", claimName: claimNameOf(knitId) } satisfies DataVolume;
      }),

    async writeFile(knitId, path, content, writeOptions) {
      let sourceError: unknown;
      content.once("error", (error) => (sourceError = error));
      const letGo = (): void => (content as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      try {
        const parts = dataPathParts(path);
        if (parts.length === 0) throw new UnsafeDataPathError(path, "it names the Data's root, not a file");
        await kubeErrors(() => unsealedOrThrow(knitId));
        await withAgent(knitId, "write", async (agent) => {
          const { request, response } = await open(agent, "PUT", `/file?path=${encodeURIComponent(parts.join("/"))}`, { "content-type": "application/octet-stream" });
          const abort = (): void => {
            request.destroy(writeOptions?.signal?.reason instanceof Error ? writeOptions.signal.reason : undefined);
          };
          writeOptions?.signal?.addEventListener("abort", abort, { once: true });
          try {
            for await (const chunk of content as AsyncIterable<Buffer | string>) {
              if (writeOptions?.signal?.aborted) throw writeOptions.signal.reason;
              if (!request.write(chunk)) await once(request, "drain");
            }
          } catch (error) {
            request.destroy();
            throw error;
          } finally {
            writeOptions?.signal?.removeEventListener("abort", abort);
          }
          request.end();
          const answer = await response;
          if (answer.statusCode !== 204) throw await agentFailure(knitId, answer);
          answer.resume();
        });
      } catch (error) {
        letGo();
        if (sourceError !== undefined) throw sourceError;
        if (writeOptions?.signal?.aborted && error === writeOptions.signal.reason) throw error;
        throw storeError(error);
      }
    },

    followFile: (knitId, path, followOptions) =>
      kubeErrors(async () => {
        const parts = dataPathParts(path);
        await presentOrThrow(knitId);
        return withAgent(knitId, "read", async (agent, keep) => {
          // The request body stays open while the writer writes: ending it tells the agent to finish.
          const { request, response } = await open(agent, "POST", `/follow?path=${encodeURIComponent(parts.join("/"))}`, {
            "content-type": "application/octet-stream",
            "transfer-encoding": "chunked",
          });
          const answer = await response;
          if (answer.statusCode !== 200) {
            request.destroy();
            throw await agentFailure(knitId, answer);
          }
          const stream = releasing(answer, keep());
          void (async () => {
            while (!stream.destroyed && (await followOptions.stillWriting().catch(() => false))) await sleep(followOptions.pollMs ?? 250);
            request.end();
          })();
          return stream;
        });
      }),

    readConcatenated: (knitId) =>
      kubeErrors(async () => {
        await presentOrThrow(knitId);
        return withAgent(knitId, "read", async (agent, keep) => {
          const { request, response } = await open(agent, "GET", "/concatenated");
          request.end();
          const answer = await response;
          if (answer.statusCode !== 200) throw await agentFailure(knitId, answer);
          return releasing(answer, keep());
        });
      }),

    seal: (knitId) =>
      kubeErrors(async (): Promise<DefuseReport> => {
        const claim = await readClaim(knitId);
        if (claim === undefined) throw new DataMissingError(knitId);
        // Idempotent: a sealed Data is defused again (nothing is left to defuse), as the local store does.
        const report = await withAgent(knitId, "write", async (agent) => {
          const { request, response } = await open(agent, "POST", "/seal");
          request.end();
          const answer = await response;
          if (answer.statusCode !== 200) throw await agentFailure(knitId, answer);
          return JSON.parse(await textOf(answer)) as DefuseReport;
        });
        // An importer's claim carries none of the store's labels: the knitId label makes it one
        // of the store's Data from now on (listed for backups like every other). One patch with the seal.
        const labelled = claim.metadata?.labels?.[DATA_KNITID_LABEL] === knitId;
        await patchClaimMetadata(knitId, { ...(labelled ? {} : { labels: { [DATA_KNITID_LABEL]: knitId } }), annotations: { [SEALED_ANNOTATION]: "true" } });
        return report;
      }),

    listFiles: (knitId, path, listOptions) =>
      kubeErrors(async () => {
        const parts = dataPathParts(path);
        await sealedOrThrow(knitId);
        return withAgent(knitId, "read", async (agent) => {
          const query = `path=${encodeURIComponent(parts.join("/"))}${listOptions?.recursive ? "&recursive=1" : ""}`;
          const { request, response } = await open(agent, "GET", `/files?${query}`);
          request.end();
          const answer = await response;
          if (answer.statusCode !== 200) throw await agentFailure(knitId, answer);
          return JSON.parse(await textOf(answer)) as DataFileList;
        });
      }),

    openFile: (knitId, path, range) =>
      kubeErrors(async () => {
        const parts = dataPathParts(path);
        await sealedOrThrow(knitId);
        return withAgent(knitId, "read", async (agent, keep) => {
          const header = range === undefined ? undefined : "suffix" in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ""}`;
          const { request, response } = await open(agent, "GET", `/file?path=${encodeURIComponent(parts.join("/"))}`, header ? { range: header } : {});
          request.end();
          const answer = await response;
          if (answer.statusCode !== 200 && answer.statusCode !== 206) throw await agentFailure(knitId, answer);
          const size = Number(answer.headers["x-file-size"] ?? 0);
          const span = /^bytes (\d+)-(\d+)\//.exec(String(answer.headers["content-range"] ?? ""));
          const [start, end] = span ? [Number(span[1]), Number(span[2])] : [0, size - 1];
          return { stream: releasing(answer, keep()), size, start, end };
        });
      }),

    list: () =>
      kubeErrors(async () => {
        const claims = await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: DATA_KNITID_LABEL });
        return claims.items
          .filter((claim) => claim.metadata?.deletionTimestamp === undefined)
          .map((claim) => claim.metadata?.labels?.[DATA_KNITID_LABEL] ?? "")
          .filter((knitId) => KNIT_ID.test(knitId));
      }),

    // Best effort: a claim's free space is the provisioner's business (an NFS export is shared by all claims).
    freeSpace: () => Promise.resolve(undefined),

    listPartials: () => kubeErrors(() => listPartials()),
    removePartial: (name) => kubeErrors(() => removePartial(name)),
    sweep: (now = new Date()) =>
      kubeErrors(async () => {
        const removed: string[] = [];
        for (const partial of await listPartials(now)) {
          await removePartial(partial.name);
          removed.push(partial.name.slice(partial.name.indexOf(".") + 1));
        }
        return removed;
      }),
  };
}


function checkedKnitId(knitId: string): string {
  if (!KNIT_ID.test(knitId)) throw new InvalidKnitIdError(knitId);
  return knitId;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Domain errors pass; the API server's and the network's are StoreFailureErrors (no cluster detail to a client). */
function storeError(error: unknown): unknown {
  if (error instanceof KnitError) return error;
  return new StoreFailureError(error);
}

async function kubeErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storeError(error);
  }
}

async function textOf(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
