/**
 * What the data agent and the pvc store say to each other over HTTP, beyond the reference's
 * protocol (spec/api.md §4.4: `GET /` sends gzip(tar) with the `x-checksum-md5` trailer in read
 * mode, `POST /` receives one in write mode and answers 204). Our extension routes:
 *
 * | mode  | method | path            | what |
 * |-------|--------|-----------------|------|
 * | read  | GET    | /files?path=&recursive=1 | the DataFileList of a path (JSON) |
 * | read  | GET    | /file?path=     | a file's bytes; a `Range: bytes=` header gives 206 and Content-Range; `x-file-size` is the whole size |
 * | read  | POST   | /follow?path=   | a growing file: what is there, then what is appended, for as long as the REQUEST body stays open; once the client ends its body, the rest is sent and the response ends (so the client decides when the writer is done) |
 * | read  | GET    | /concatenated   | every regular file's bytes in path order (the stored-log format) |
 * | write | PUT    | /file?path=     | writes the body as that file from its first byte (204) |
 * | write | POST   | /seal           | defuses what a worker left (setuid bits, special files, outside links); the DefuseReport (JSON) |
 * | write | POST   | /prepare?writer=worker\|importer | opens the volume's root to the writer (0777 for any user of a worker image, 0700 else) |
 *
 * Errors are JSON `{ "message": <reason>, "error": <error class name>, "fields": {...} }`; `message`
 * is what the reference sends, `error` and `fields` let the store raise the same error class as the
 * local store would (see decodeAgentError).
 */
import { ArchiveTooLargeError, CorruptArchiveError, UnsafeArchiveError } from "@knitfab/archive";
import { KnitError } from "@knitfab/domain/errors";
import {
  ChecksumMismatchError,
  DataExistsError,
  DataMissingError,
  DataPathMissingError,
  DataSealedError,
  InsufficientSpaceError,
  NotAFileError,
  RangeNotSatisfiableError,
  StoreFailureError,
  UnsafeDataPathError,
} from "../errors.js";

export type AgentMode = "read" | "write";

/** Error body of the agent. */
export interface AgentErrorBody {
  message: string;
  error?: string;
  advice?: string;
  fields?: Record<string, string | number>;
}

/** HTTP status of an error the agent answers with (spec: corrupt gzip/tar is a 500). */
export function agentErrorStatus(error: unknown): number {
  if (error instanceof DataExistsError) return 409;
  if (error instanceof ChecksumMismatchError) return 400;
  if (error instanceof DataMissingError || error instanceof DataPathMissingError) return 404;
  if (error instanceof RangeNotSatisfiableError) return 416;
  if (error instanceof ArchiveTooLargeError || error instanceof InsufficientSpaceError) return 413;
  if (error instanceof CorruptArchiveError) return 500;
  if (error instanceof KnitError && error.name === "InputError") return 400;
  if (error instanceof UnsafeArchiveError || error instanceof UnsafeDataPathError || error instanceof NotAFileError) return 400;
  return 500;
}

/** The body the agent sends for `error`: a file system error is named by its code only (no host path). */
export function encodeAgentError(error: unknown): AgentErrorBody {
  if (!(error instanceof KnitError)) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ENOSPC" || code === "EDQUOT") return encodeAgentError(new InsufficientSpaceError("the volume is full", { code }));
    return { message: "unexpected error", error: "StoreFailureError", fields: { code: typeof code === "string" ? code : "unknown" } };
  }
  const fields: Record<string, string | number> = {};
  if (error instanceof UnsafeArchiveError) fields.entry = error.entry;
  if (error instanceof RangeNotSatisfiableError) fields.size = error.size;
  if (error instanceof InsufficientSpaceError && error.code !== undefined) fields.code = error.code;
  if (error instanceof ChecksumMismatchError) {
    for (const key of ["expected", "actual"]) {
      const value = error.details?.[key];
      if (typeof value === "string") fields[key] = value;
    }
  }
  return { message: error.reason, error: error.name, ...(error.advice ? { advice: error.advice } : {}), fields };
}

/**
 * The error an agent's answer stands for, as the class the local store raises for the same cause,
 * carrying the agent's own reason. Unknown or malformed answers are StoreFailureError.
 */
export function decodeAgentError(knitId: string, status: number, body: unknown): Error {
  const parsed = isErrorBody(body) ? body : undefined;
  const fields = parsed?.fields ?? {};
  const text = (key: string): string => String(fields[key] ?? "");
  const made = ((): Error => {
    switch (parsed?.error) {
      case "DataExistsError":
        return new DataExistsError(knitId);
      case "DataSealedError":
        return new DataSealedError(knitId);
      case "DataMissingError":
        return new DataMissingError(knitId);
      case "ChecksumMismatchError":
        return new ChecksumMismatchError(text("expected"), text("actual"));
      case "DataPathMissingError":
        return new DataPathMissingError("");
      case "UnsafeDataPathError":
        return new UnsafeDataPathError("", "");
      case "NotAFileError":
        return new NotAFileError("");
      case "RangeNotSatisfiableError":
        return new RangeNotSatisfiableError(Number(fields.size ?? 0));
      case "UnsafeArchiveError":
        return new UnsafeArchiveError(text("entry"), "");
      case "CorruptArchiveError":
        return new CorruptArchiveError("");
      case "ArchiveTooLargeError":
        return new ArchiveTooLargeError("");
      case "InsufficientSpaceError":
        return new InsufficientSpaceError("", fields.code === undefined ? {} : { code: text("code") });
      default:
        // The reference's agent answers 404 for a read of an absent folder, 409 for a non-empty one.
        if (status === 404) return new DataMissingError(knitId);
        if (status === 409) return new DataExistsError(knitId);
        return new StoreFailureError(new Error(`data agent answered ${status}: ${parsed?.message ?? "no message"}`));
    }
  })();
  // The agent's words are the precise ones (which path, which entry, why): they replace the
  // placeholders the constructors above were given. Both are plain fields of KnitError.
  if (made instanceof KnitError && parsed !== undefined && !(made instanceof StoreFailureError)) {
    Object.defineProperty(made, "reason", { value: parsed.message });
    Object.defineProperty(made, "message", { value: parsed.message });
    if (parsed.advice !== undefined) Object.defineProperty(made, "advice", { value: parsed.advice });
  }
  return made;
}

function isErrorBody(body: unknown): body is AgentErrorBody {
  return typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string";
}
