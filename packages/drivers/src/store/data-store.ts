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
   * Stores an uploaded gzip(tar) as the content of `knitId`. `expectedMd5` is consulted after the
   * stream ended (an HTTP trailer arrives last); undefined skips the check, as the reference does.
   * Throws DataExistsError (content present; the stream is left unread), ChecksumMismatchError,
   * UnsafeArchiveError, CorruptArchiveError, or the source's own error; after any failure nothing
   * of the upload is visible.
   */
  receive(knitId: string, tarGz: Readable, expectedMd5?: () => string | undefined): Promise<ReceivedData>;
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
