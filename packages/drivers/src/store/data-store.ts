import type { Readable } from "node:stream";
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

/**
 * Where Data content lives, keyed by knitId. Content is written once and becomes visible only when
 * complete and verified. Implemented by local folders (embedded and single server) and, later, by
 * PersistentVolumeClaims reached through data agents; only `allocate`/`pathOf` speak of host paths.
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
  exists(knitId: string): Promise<boolean>;
  /** Deletes the content; doing so for an absent knitId is not an error. */
  remove(knitId: string): Promise<void>;
  /**
   * An empty writable folder (idempotent); returns its host path. For a run's `worker` it is writable
   * by any user a task may run as; for an `importer` (a process of the server's user) by that user only.
   */
  allocate(knitId: string, writer?: "worker" | "importer"): Promise<string>;
  /** Host path of the content folder of `knitId` (whether or not it exists). */
  pathOf(knitId: string): string;
  /**
   * Marks written content complete: it is never handed out for writing again (idempotent). What a
   * container or importer left that is unsafe on the host (setuid/setgid bits, device files, FIFOs,
   * sockets, links leading outside) is defused first, as uploads are; the report says what was.
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
}
