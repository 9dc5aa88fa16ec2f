import { ConflictError, InputError, InternalError, NotFoundError, TooLargeError } from "@knitfab/domain/errors";

/** A Data with this knitId already has content; content is written once. */
export class DataExistsError extends ConflictError {
  constructor(knitId: string) {
    // The reference's reason text, kept for wire compatibility (spec/api.md §4.4).
    super("data exists already", {
      advice: `data ${knitId} already has content and cannot be written again; upload as a new data instead.`,
      details: { knitId },
    });
    this.name = "DataExistsError";
  }
}

/** The MD5 of the received compressed bytes differs from the one the sender announced. */
export class ChecksumMismatchError extends InputError {
  constructor(expected: string, actual: string) {
    // "hash is not match." is the reference's text (spec/api.md §4.4); the advice says what to do.
    super("hash is not match.", {
      advice: `the upload was altered or cut in transit (expected md5 ${expected}, received ${actual}); nothing was stored, upload it again.`,
      details: { expected, actual },
    });
    this.name = "ChecksumMismatchError";
  }
}

/** No content is stored for this knitId. */
export class DataMissingError extends NotFoundError {
  constructor(knitId: string) {
    super("not found", {
      // No `details`: the error body of the contract is `{"message"}` alone.
      advice: `no content is stored for data ${knitId}; check the knitId with "knit data find".`,
    });
    this.name = "DataMissingError";
  }
}

/** The knitId cannot name a folder safely (it must be a plain name like a UUID). */
export class InvalidKnitIdError extends InputError {
  constructor(knitId: string) {
    super(`invalid knitId "${knitId}"`, {
      advice: "a knitId is made of letters, digits, '-', '_' and '.', and does not start with '.'.",
      details: { knitId },
    });
    this.name = "InvalidKnitIdError";
  }
}

/** A sealed (complete) Data cannot be handed out for writing again. */
export class DataSealedError extends ConflictError {
  constructor(knitId: string) {
    super(`data ${knitId} is sealed`, {
      advice: "its content is complete and read-only; write the new output as a new data.",
      details: { knitId },
    });
    this.name = "DataSealedError";
  }
}

/** The upload announced no checksum, and this server requires one. */
export class ChecksumMissingError extends InputError {
  constructor() {
    super("checksum is missing", {
      advice:
        'send the MD5 (hex) of the gzip\'d body in the "x-checksum-md5" trailer, as knit data push does, or in a header of that name; nothing was stored.',
    });
    this.name = "ChecksumMissingError";
  }
}

/** Storing the upload would leave less free space than the server keeps in reserve. */
export class InsufficientSpaceError extends TooLargeError {
  /** The file system's own code (ENOSPC, EDQUOT) when it refused a write; the engine waits on it. */
  readonly code: string | undefined;
  constructor(why: string, options?: { code?: string }) {
    super(`not enough free space: ${why}`, {
      advice: "nothing was stored; upload less, or ask the administrator to free space on the server.",
    });
    this.code = options?.code;
    this.name = "InsufficientSpaceError";
  }
}

/**
 * The store failed for a reason of its own (a file system error). The message names the error
 * code only: host paths in the original error are none of a client's business; the original
 * stays the cause of the cause, for the server's log.
 */
export class StoreFailureError extends InternalError {
  constructor(error: unknown) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const what = typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error";
    super("unexpected error", {
      advice: "the data store failed; nothing was changed. Try again, or ask the administrator to check the server's log.",
      cause: new Error(`data store failure (${what})`, { cause: error }),
    });
    this.name = "StoreFailureError";
  }
}

/** A path inside a Data that could lead out of it or cannot name a file: refused, never resolved. */
export class UnsafeDataPathError extends InputError {
  constructor(path: string, why: string) {
    super(`invalid path "${path}": ${why}`, {
      advice: "give a path relative to the data's root, with '/' between names and no '..', like \"sub/dir/file.csv\".",
    });
    this.name = "UnsafeDataPathError";
  }
}

/** Nothing at this path inside the Data (or only a link leading out of it). */
export class DataPathMissingError extends NotFoundError {
  constructor(path: string) {
    super(`no such file or folder in the data: "${path}"`, {
      advice: 'list the data\'s files with "knit data ls KNIT_ID" to see what it holds.',
    });
    this.name = "DataPathMissingError";
  }
}

/** A file's bytes were asked of a folder. */
export class NotAFileError extends InputError {
  constructor(path: string) {
    super(`"${path}" is a folder, not a file`, {
      advice: 'list a folder\'s files with "knit data ls KNIT_ID PATH"; only files can be read.',
    });
    this.name = "NotAFileError";
  }
}

/** A byte range that starts past the end of the file (HTTP 416). */
export class RangeNotSatisfiableError extends InputError {
  readonly size: number;
  constructor(size: number) {
    super("range not satisfiable", {
      advice: `the file has ${size} bytes: ask for a range that starts before its end.`,
    });
    this.name = "RangeNotSatisfiableError";
    this.size = size;
  }
}
