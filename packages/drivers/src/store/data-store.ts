import type { Readable } from "node:stream";
import type { DataVolume } from "../volume.js";
import type { DefuseReport } from "./defuse-tree.js";

/** What `receive` stored. */
export interface ReceivedData {
  /** Non-directory entries: regular files, symbolic links and hard links. */
  files: number;
  /** Total size of the regular files. */
  bytes: number;
  /** Lower-case hex MD5 of the compressed bytes received. */
  md5: string;
}

/** The checksums an upload is checked against. */
export interface ExpectedChecksum {
  /**
   * MD5s (hex, any case) the sender announced, e.g. in a header and in a trailer; consulted only
   * after the stream ended (an HTTP trailer arrives last). Each must match the received bytes.
   */
  announced(): readonly string[];
  /** Refuse an upload that announced none (ChecksumMissingError). */
  required: boolean;
}

/** Bounds on one upload; each unset bound is unlimited. */
export interface UploadLimits {
  /** Most bytes of file content, unpacked. */
  maxBytes?: number;
  /** Most entries: files, folders and links. */
  maxEntries?: number;
  /** Free space (bytes) the store keeps: an upload that would leave less is refused. */
  reserveBytes?: number;
}

/** A Data's content on its way out, as gzip(tar). */
export interface OutgoingData {
  stream: Readable;
  /** Lower-case hex MD5 of the bytes of `stream`, for the `x-checksum-md5` trailer; throws before the stream ended. */
  md5(): string;
}

/** One entry of a Data's content, as a listing shows it. */
export interface DataFileEntry {
  /** The last part of `path`. */
  name: string;
  /** Relative to the Data's root, '/'-separated. */
  path: string;
  type: "file" | "dir" | "link";
  /** Bytes of a file; 0 for folders and links. */
  size: number;
  /** Where a symbolic link points, as stored. */
  target?: string;
}

/** What is at a path inside a Data. */
export interface DataFileList {
  /** The path listed, normalised ("" is the root). */
  path: string;
  /** Whether that path is a folder (its entries are listed) or a file (the one entry). */
  type: "file" | "dir";
  entries: DataFileEntry[];
  /** Of the listed entries. */
  totals: { files: number; dirs: number; links: number; bytes: number };
  /** The listing stopped at its bound (MAX_LISTED_ENTRIES); ask for a deeper path. */
  truncated: boolean;
}

/** Bytes of a file to read: from `start` to `end` (inclusive, or to the end), or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

/** One file of a Data on its way out. */
export interface DataFileStream {
  stream: Readable;
  /** The whole file's size. */
  size: number;
  /** First and last byte (inclusive) that `stream` carries; end is start - 1 for nothing. */
  start: number;
  end: number;
}

/** A partial (unfinished) upload left behind by a crash or an abandoned transfer. */
export interface PartialUpload {
  name: string;
  mtime: Date;
}

/** Who writes into a prepared volume: a run's worker (any user of its image) or an importer. */
export type VolumeWriter = "worker" | "importer";

/** How to follow a growing file (see DataStore.followFile). */
export interface FollowOptions {
  /** Whether the writer may still append; once false (and all is read) the stream ends. */
  stillWriting: () => Promise<boolean>;
  /** How often to look for more bytes (the store's own default when unset). */
  pollMs?: number;
}

/**
 * Where Data content lives, keyed by knitId. Content is written once and becomes visible only when
 * complete and verified. Implemented by local folders (embedded and single server) and, later, by
 * PersistentVolumeClaims reached through data agents. Nothing here hands out a host path: a Data
 * a worker writes or reads is a DataVolume, opaque to everyone but the runtime that mounts it, and
 * every read or write the server or the engine does itself (transfers, browsing, run logs) is a
 * method here. Errors that may reach a client name no host path.
 *
 * Two kinds of Data: *unsealed* (prepared for a worker or an importer, being written) and *sealed*
 * (complete; never written again). Uploads are sealed on arrival.
 */
export interface DataStore {
  /**
   * Stores an uploaded gzip(tar) as the content of `knitId`, within the store's UploadLimits.
   * Without `checksum` nothing is verified. Throws DataExistsError (content present; the stream is
   * left unread), ChecksumMismatchError, ChecksumMissingError, UnsafeArchiveError,
   * CorruptArchiveError, ArchiveTooLargeError, InsufficientSpaceError, or StoreFailureError (whose
   * message names no host path); after any failure nothing of the upload is visible or on disk.
   */
  receive(knitId: string, tarGz: Readable, checksum?: ExpectedChecksum): Promise<ReceivedData>;
  /** The content of `knitId` as gzip(tar). Throws DataMissingError when it has none. */
  send(knitId: string): Promise<OutgoingData>;
  /** Whether `knitId` has content, sealed or being written (prepared). */
  exists(knitId: string): Promise<boolean>;
  /**
   * Whether the volume of `knitId` is there and can be mounted, waiting up to `waitMs` for it: a
   * local folder is at once; a claim must be Bound (one an importer made itself may not be yet).
   * `import/end` refuses a volume that is not ready (spec/api.md §4.7).
   */
  volumeReady(knitId: string, waitMs: number): Promise<boolean>;
  /** Deletes the content; doing so for an absent knitId is not an error. */
  remove(knitId: string): Promise<void>;
  /**
   * Makes `knitId` an empty writable volume (idempotent: what was written stays) and returns it,
   * for a runtime to mount or an importer to fill. For a `worker` (default) it is writable by any
   * user a task may run as; for an `importer` (a process of the server's user) by that user only.
   * A store whose importers make the volume themselves (claims: spec/api.md §4.6) only reserves
   * its name for an `importer`. Throws DataSealedError once sealed.
   */
  prepare(knitId: string, writer?: VolumeWriter): Promise<DataVolume>;
  /**
   * The volume of `knitId` for a runtime to mount (an input's sealed content, an output prepared
   * before), whether or not it exists; never looked into outside the drivers.
   */
  volumeOf(knitId: string): DataVolume;
  /**
   * Writes `content` as the file at `path` (relative, '/'-separated) of the prepared, unsealed
   * `knitId`, from its first byte: what was there is replaced, so a repeated or late writer of the
   * same bytes only rewrites them (the run log is written so, live and again at the end). An empty
   * stream leaves an empty file. Folders on the way are made. Throws DataMissingError (not
   * prepared), DataSealedError, UnsafeDataPathError, InsufficientSpaceError (its `code` the file
   * system's ENOSPC/EDQUOT), StoreFailureError; a failure of `content` or an abort
   * of `signal` rejects with that failure. On any failure `content` is destroyed, as a pipeline does.
   */
  writeFile(knitId: string, path: string, content: NodeJS.ReadableStream, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * The bytes of the file at `path` of `knitId` (sealed or not): what is there, then what is
   * appended, until `stillWriting()` says no and all is read (or the reader destroys the stream).
   * For a run's log while another process records it. Throws DataMissingError when `knitId` has no
   * content, UnsafeDataPathError, DataPathMissingError when the file is not there.
   */
  followFile(knitId: string, path: string, options: FollowOptions): Promise<Readable>;
  /**
   * The raw bytes of every regular file of `knitId` (sealed or not), one after another in path
   * order: the stored-log format (the reference's log Data holds one file, `log`, but any layout
   * reads). Throws DataMissingError when `knitId` has no content.
   */
  readConcatenated(knitId: string): Promise<Readable>;
  /**
   * Marks written content complete: it is never handed out for writing again (idempotent). What a
   * container or importer left that is unsafe on the host (setuid/setgid bits, device files, FIFOs,
   * sockets, links leading outside) is defused first, as uploads are; the report says what was.
   * Throws DataMissingError when `knitId` was never prepared.
   */
  seal(knitId: string): Promise<DefuseReport>;
  /** The opaque name of the Data's volume for outsiders (`data-knitid-<knitId>`, as the reference's PVC). */
  referenceOf(knitId: string): string;
  /** The knitId a volume name refers to; undefined when it names no Data of this store. */
  knitIdOfReference(reference: string): string | undefined;
  /** Unfinished uploads, for housekeeping to remove stale ones. */
  listPartials(): Promise<PartialUpload[]>;
  removePartial(name: string): Promise<void>;
  /**
   * What is at `path` inside the sealed Data `knitId` (the folder's entries, all descendants when
   * `recursive`). Throws DataMissingError (no sealed content), UnsafeDataPathError (NUL, absolute,
   * '..') or DataPathMissingError (nothing there, or a link leading out of the Data).
   */
  listFiles(knitId: string, path: string, options?: { recursive?: boolean }): Promise<DataFileList>;
  /**
   * The bytes of the file at `path` inside the sealed Data `knitId`, streamed, or of `range` of them.
   * Throws as listFiles does, and NotAFileError for a folder, RangeNotSatisfiableError for a range
   * past the end.
   */
  openFile(knitId: string, path: string, range?: ByteRange): Promise<DataFileStream>;
  /** knitIds with content. */
  list(): Promise<string[]>;
  /**
   * Free bytes where the store writes, for the free-space metric and warning; undefined when the
   * store cannot tell (a remote volume provisioner).
   */
  freeSpace(): Promise<number | undefined>;
}
