import type { Readable } from "node:stream";

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
  /** An empty writable folder for a run's output (idempotent); returns its host path. */
  allocate(knitId: string): Promise<string>;
  /** Host path of the content folder of `knitId` (whether or not it exists). */
  pathOf(knitId: string): string;
  /** Marks a run's output complete: it is never handed out for writing again (idempotent). */
  seal(knitId: string): Promise<void>;
  /** Unfinished uploads, for housekeeping to remove stale ones. */
  listPartials(): Promise<PartialUpload[]>;
  removePartial(name: string): Promise<void>;
  /** knitIds with content. */
  list(): Promise<string[]>;
}
