import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, rename, stat, statfs, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { extractTarGz, md5Tap, packDirectory } from "@knitfab/archive";
import { dataPathParts, listDataFiles, openDataFile, resolveInside } from "./browse.js";
import { concatenatedFiles } from "./concatenated-files.js";
import { followOpenFile } from "./follow-file.js";
import type { DataStore, OutgoingData, PartialUpload, ReceivedData, UploadLimits } from "./data-store.js";
import type { DataVolume } from "../volume.js";
import { defuseTree, type DefuseReport } from "./defuse-tree.js";
import {
  DataExistsError,
  DataMissingError,
  DataSealedError,
  InsufficientSpaceError,
  InvalidKnitIdError,
  StoreFailureError,
  UnsafeDataPathError,
} from "./errors.js";
import { removeTree } from "./remove-tree.js";
import { verifyChecksum } from "./verify-checksum.js";
import { KnitError } from "@knitfab/domain/errors";

/** A knitId names a folder: a plain name, never a path (`/`) nor a hidden or parent entry. */
const KNIT_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;
/** How a Data's volume is named to the outside (import tokens), as the reference's PVC: `data-knitid-<knitId>`. */
const REFERENCE_PREFIX = "data-knitid-";

/** Names of partial uploads: `<knitId>.<random hex>`. */
const PARTIAL_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Data content in local folders under `root`:
 * - `data/<knitId>/`     visible content (complete uploads, and run outputs being written);
 * - `.partial/<name>/`   uploads being extracted, renamed into `data/` only once verified,
 *                        on the same file system so the rename is atomic;
 * - `.sealed/<knitId>`   marker: the content is complete and never handed out for writing again.
 *
 * Its volumes are `{ kind: "host-folder", path: <root>/data/<knitId> }`, which the docker runtime
 * bind-mounts; the host path stays between this store and that runtime.
 */
export function createLocalDataStore(root: string, limits: UploadLimits = {}): DataStore {
  const dataDir = join(root, "data");
  const partialDir = join(root, ".partial");
  const sealedDir = join(root, ".sealed");
  let ready: Promise<void> | undefined;
  const prepared = (): Promise<void> => {
    ready ??= prepareFolders(root, [dataDir, partialDir, sealedDir]).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };

  const pathOf = (knitId: string): string => join(dataDir, checkedKnitId(knitId));
  const volumeOf = (knitId: string): DataVolume => ({ kind: "host-folder", path: pathOf(knitId) });
  const markerOf = (knitId: string): string => join(sealedDir, checkedKnitId(knitId));

  const isFolder = async (path: string): Promise<boolean> => {
    const stats = await stat(path).catch(ignoreMissing);
    return stats !== undefined && stats.isDirectory();
  };
  const isSealed = async (knitId: string): Promise<boolean> => (await lstat(markerOf(knitId)).catch(ignoreMissing)) !== undefined;

  /** The reference refuses to write into a non-empty volume; a sealed one counts as written too. */
  const hasContent = async (knitId: string): Promise<boolean> => {
    if (await isSealed(knitId)) return true;
    const entries = await readdir(pathOf(knitId)).catch(ignoreMissing);
    return entries !== undefined && entries.length > 0;
  };

  /** Content being written: present and not sealed (else DataSealedError / DataMissingError). */
  const requireUnsealed = async (knitId: string): Promise<string> => {
    const folder = pathOf(knitId);
    if (await isSealed(knitId)) throw new DataSealedError(knitId);
    if (!(await isFolder(folder))) throw new DataMissingError(knitId);
    return folder;
  };

  return {
    volumeOf,

    async receive(knitId, tarGz, checksum): Promise<ReceivedData> {
      const target = pathOf(knitId);
      await prepared();
      if (await hasContent(knitId)) throw new DataExistsError(knitId);
      const partial = join(partialDir, `${knitId}.${randomBytes(6).toString("hex")}`);
      // The source's own failure (a client gone) is reported as it is; it is not the store's.
      let sourceError: unknown;
      tarGz.once("error", (error) => (sourceError = error));
      try {
        const space = freeSpaceGuard(partialDir, limits.reserveBytes ?? 0);
        await space.reserve(0);
        const received = await extractTarGz(tarGz, partial, { ...limits, reserve: space.reserve }, { smallFileThread: true });
        verifyChecksum(checksum, received.md5);
        try {
          // Atomic: readers see nothing or the whole verified tree. An empty folder in the way
          // (allocated, never written) is replaced, as the reference accepts an empty volume.
          await rename(partial, target);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOTEMPTY" || code === "EEXIST") throw new DataExistsError(knitId);
          throw error;
        }
        await writeFile(markerOf(knitId), "");
        return received;
      } catch (error) {
        // The failure is what to report; a partial that cannot be removed now is housekeeping's.
        await removeTree(partial).catch(() => undefined);
        throw error === sourceError ? error : storeError(error);
      }
    },

    send: (knitId) =>
      withoutHostPaths(async (): Promise<OutgoingData> => {
        const folder = pathOf(knitId);
        if (!(await isFolder(folder))) throw new DataMissingError(knitId);
        const tap = md5Tap();
        pipeline(packDirectory(folder), tap, () => undefined);
        return { stream: tap, md5: () => tap.digest() };
      }),

    exists: (knitId) => withoutHostPaths(() => isFolder(pathOf(knitId))),
    // A folder is mountable as soon as it is there: nothing to wait for.
    volumeReady: (knitId) => withoutHostPaths(() => isFolder(pathOf(knitId))),

    // Only complete content can be looked into: a run's output being written is no Data yet.
    listFiles: (knitId, path, options) =>
      withoutHostPaths(async () => {
        if (!(await isSealed(knitId)) || !(await isFolder(pathOf(knitId)))) throw new DataMissingError(knitId);
        return listDataFiles(pathOf(knitId), path, options?.recursive ?? false);
      }),

    openFile: (knitId, path, range) =>
      withoutHostPaths(async () => {
        if (!(await isSealed(knitId)) || !(await isFolder(pathOf(knitId)))) throw new DataMissingError(knitId);
        return openDataFile(pathOf(knitId), path, range);
      }),

    remove: (knitId) =>
      withoutHostPaths(async () => {
        // Content first: a crash in between leaves a harmless marker, never unsealed content.
        await removeTree(pathOf(knitId));
        await removeTree(markerOf(knitId));
      }),

    prepare: (knitId, writer = "worker") =>
      withoutHostPaths(async () => {
        const folder = pathOf(knitId);
        await prepared();
        if (await isSealed(knitId)) throw new DataSealedError(knitId);
        await mkdir(folder, { recursive: true });
        // A task may run as any user of its image, so its output folder is writable by all; only the
        // engine reaches it, since the store's root is private. An importer runs as the server's user.
        await chmod(folder, writer === "worker" ? 0o777 : 0o700);
        return volumeOf(knitId);
      }),

    async writeFile(knitId, path, content, options) {
      const parts = dataPathParts(path);
      const name = parts.pop();
      if (name === undefined) throw new UnsafeDataPathError(path, "it names the Data's root, not a file");
      let sourceError: unknown;
      content.once("error", (error) => (sourceError = error));
      try {
        const folder = await requireUnsealed(knitId);
        if (parts.length > 0) await mkdir(join(folder, ...parts), { recursive: true });
        // The folder may hold what a task wrote: a link on the way may not lead the write outside.
        const parent = await resolveInside(folder, parts, parts.join("/"));
        const handle = await open(
          join(parent, name),
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
          0o644,
        );
        const target = handle.createWriteStream();
        await pipelineAsync(content, target, ...(options?.signal ? [{ signal: options.signal }] : []));
      } catch (error) {
        // As a pipeline would: a source nobody will read is let go (a followed log holds a connection).
        (content as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        if (error === sourceError || (options?.signal?.aborted && error instanceof Error && error.name === "AbortError")) throw error;
        throw storeError(error);
      }
    },

    followFile: (knitId, path, options) =>
      withoutHostPaths(async () => {
        const folder = pathOf(knitId);
        if (!(await isFolder(folder))) throw new DataMissingError(knitId);
        const parts = dataPathParts(path);
        const real = await resolveInside(folder, parts, parts.join("/"));
        const handle = await open(real, "r");
        return followOpenFile(handle, options.stillWriting, options.pollMs);
      }),

    readConcatenated: (knitId) =>
      withoutHostPaths(async () => {
        const folder = pathOf(knitId);
        if (!(await isFolder(folder))) throw new DataMissingError(knitId);
        return concatenatedFiles(folder);
      }),

    freeSpace: () => withoutHostPaths(() => freeBytesAt(root)),

    seal: (knitId) =>
      withoutHostPaths(async (): Promise<DefuseReport> => {
        const folder = pathOf(knitId);
        await prepared();
        if (!(await isFolder(folder))) throw new DataMissingError(knitId);
        // Idempotent, so a crash anywhere here is repaired by sealing again.
        const report = await defuseTree(folder);
        await chmod(folder, 0o755);
        await writeFile(markerOf(knitId), "");
        return report;
      }),

    referenceOf: (knitId) => `${REFERENCE_PREFIX}${checkedKnitId(knitId)}`,
    knitIdOfReference(reference) {
      if (!reference.startsWith(REFERENCE_PREFIX)) return undefined;
      const knitId = reference.slice(REFERENCE_PREFIX.length);
      return KNIT_ID.test(knitId) ? knitId : undefined;
    },

    async listPartials(): Promise<PartialUpload[]> {
      await prepared();
      const names = await readdir(partialDir);
      const found: PartialUpload[] = [];
      for (const name of names) {
        const stats = await lstat(join(partialDir, name)).catch(ignoreMissing);
        if (stats !== undefined) found.push({ name, mtime: stats.mtime });
      }
      return found;
    },

    async removePartial(name): Promise<void> {
      if (!PARTIAL_NAME.test(name)) throw new InvalidKnitIdError(name);
      await removeTree(join(partialDir, name));
    },

    async list(): Promise<string[]> {
      await prepared();
      const entries = await readdir(dataDir, { withFileTypes: true });
      return entries.filter((entry) => entry.isDirectory() && KNIT_ID.test(entry.name)).map((entry) => entry.name);
    },
  };
}


/** Re-read the free space at least this often (in bytes written), as others write to the same disk. */
const RECHECK_SPACE_EVERY = 256 * 1024 * 1024;

/**
 * Admits file sizes while the file system keeps `reserveBytes` free. It asks the file system
 * (statfs) at the start, whenever a file would not fit what it last saw, and every
 * RECHECK_SPACE_EVERY bytes; in between it counts what it admitted.
 */
function freeSpaceGuard(path: string, reserveBytes: number): { reserve: (bytes: number) => Promise<void> } {
  let headroom = 0;
  let admitted = Number.POSITIVE_INFINITY;
  const reserve = async (bytes: number): Promise<void> => {
    if (admitted + bytes <= Math.min(headroom, RECHECK_SPACE_EVERY)) {
      admitted += bytes;
      return;
    }
    const stats = await statfs(path);
    headroom = stats.bavail * stats.bsize - reserveBytes;
    admitted = 0;
    if (bytes > headroom) {
      const free = stats.bavail * stats.bsize;
      throw new InsufficientSpaceError(
        bytes === 0
          ? `${free} bytes are free and the server keeps ${reserveBytes} in reserve`
          : `a file of ${bytes} bytes does not fit: ${free} bytes are free and the server keeps ${reserveBytes} in reserve`,
      );
    }
    admitted = bytes;
  };
  return { reserve };
}

/** Runs a store operation whose failures may reach a client: see storeError. */
async function withoutHostPaths<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storeError(error);
  }
}

/** Domain errors pass; no-space is a 413; anything else is a StoreFailureError (no host path in it). */
function storeError(error: unknown): unknown {
  if (error instanceof KnitError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // The file system's code is kept (not its message, which names host paths): the engine waits on it.
  if (code === "ENOSPC" || code === "EDQUOT") return new InsufficientSpaceError("the disk is full", { code });
  return new StoreFailureError(error);
}

/**
 * The store's folders are the server's alone (0700): what a task or an upload left inside them,
 * whatever its own permissions, cannot be reached by other users of the machine.
 */
async function prepareFolders(root: string, folders: readonly string[]): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  for (const folder of folders) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await chmod(folder, 0o700);
  }
}

/** Free bytes of the file system that holds (or will hold) `folder`. */
async function freeBytesAt(folder: string): Promise<number> {
  for (let at = folder; ; at = dirname(at)) {
    try {
      const stats = await statfs(at);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dirname(at) === at) throw error;
    }
  }
}

function checkedKnitId(knitId: string): string {
  if (!KNIT_ID.test(knitId)) throw new InvalidKnitIdError(knitId);
  return knitId;
}

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  throw error;
}

