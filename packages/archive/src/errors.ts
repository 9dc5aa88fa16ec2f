import { InputError, TooLargeError } from "@knitfab/domain/errors";
import { preview } from "@knitfab/domain/limits";

/**
 * The archive holds an entry we refuse to extract: a name escaping the target folder, a link
 * pointing outside it, a special file, a duplicate, or a path through a symbolic link.
 * Nothing of such an archive may become visible, so the caller discards the whole extraction.
 */
export class UnsafeArchiveError extends InputError {
  readonly entry: string;

  constructor(entry: string, why: string) {
    // Entry names come from the sender and may be megabytes long: the message shows their start.
    super(`unsafe archive entry "${preview(entry)}": ${why}`, {
      advice: "rebuild the archive from a plain folder (regular files and symlinks pointing inside it) and upload again.",
      details: { entry },
    });
    this.name = "UnsafeArchiveError";
    this.entry = entry;
  }
}

/** The bytes are not a well-formed gzip-compressed tar (bad gzip, bad header checksum, truncated). */
export class CorruptArchiveError extends InputError {
  constructor(why: string, cause?: unknown) {
    super(`corrupt archive: ${why}`, {
      advice: "the body must be a complete gzip-compressed tar; upload it again.",
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = "CorruptArchiveError";
  }
}

/** With `dereference`, a symbolic link leads back to one of its own parent folders. */
export class SymlinkLoopError extends InputError {
  constructor(path: string) {
    super(`symbolic link loop at "${path}"`, {
      advice: "remove the link that points to a parent folder, or archive without following symbolic links.",
      details: { path },
    });
    this.name = "SymlinkLoopError";
  }
}

/** The archive unpacks to more than the limits allow: too many bytes or entries (a gzip bomb, or simply too much). */
export class ArchiveTooLargeError extends TooLargeError {
  constructor(why: string) {
    super(`archive too large: ${why}`, {
      advice: "nothing was stored; split the data into several smaller ones, or ask the administrator to raise the server's upload limits.",
    });
    this.name = "ArchiveTooLargeError";
  }
}
