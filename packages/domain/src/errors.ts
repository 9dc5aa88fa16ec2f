/**
 * Domain errors. The core throws these; the HTTP layer maps them to status codes in one place.
 *
 * On the wire every error is `{"message": "<reason>[\n<advice>][\n caused by:<cause>]"}`,
 * the reference's flattened format (spec/api.md §0.2). `details` carries extra machine-readable
 * fields that we add beside `message` (for example the planId of an equivalent plan).
 */
export type ErrorKind = "input" | "unauthorized" | "forbidden" | "not-found" | "conflict" | "too-large" | "unavailable" | "internal";

export interface KnitErrorOptions {
  advice?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class KnitError extends Error {
  readonly kind: ErrorKind;
  readonly reason: string;
  readonly advice: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, reason: string, options: KnitErrorOptions = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KnitError";
    this.kind = kind;
    this.reason = reason;
    this.advice = options.advice;
    this.details = options.details;
  }

  /** The reference's flattened message: reason, advice and cause joined by newlines. */
  get wireMessage(): string {
    const lines = [this.reason];
    if (this.advice) lines.push(this.advice);
    if (this.cause !== undefined) lines.push(` caused by:${causeText(this.cause)}`);
    return lines.join("\n");
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** 400: the request is malformed or invalid; nothing was changed. */
export class InputError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super("input", reason, options);
    this.name = "InputError";
  }
}

/** 400 with the reference's fixed reason `bad request` and the detail as advice. */
export function badRequest(advice: string, cause?: unknown): InputError {
  return new InputError("bad request", cause === undefined ? { advice } : { advice, cause });
}

export class UnauthorizedError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super("unauthorized", reason, options);
    this.name = "UnauthorizedError";
  }
}

/** 403: the request is refused whoever asks this way (a page of another origin, a foreign Host name). */
export class ForbiddenError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super("forbidden", reason, options);
    this.name = "ForbiddenError";
  }
}

export class NotFoundError extends KnitError {
  constructor(reason = "not found", options?: KnitErrorOptions) {
    super("not-found", reason, options);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super("conflict", reason, options);
    this.name = "ConflictError";
  }
}

/** 413: the request is bigger than this server accepts (an upload over a configured limit or the free space). */
export class TooLargeError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super("too-large", reason, options);
    this.name = "TooLargeError";
  }
}

/** 503: try again later (the reference's reason text, typo included, is kept for wire compatibility). */
export class UnavailableError extends KnitError {
  constructor(advice = "please retry later.", options: Omit<KnitErrorOptions, "advice"> = {}) {
    super("unavailable", "service unavailable temporaly", { ...options, advice });
    this.name = "UnavailableError";
  }
}

export const HTTP_STATUS_OF_KIND: Record<ErrorKind, number> = {
  input: 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "too-large": 413,
  unavailable: 503,
  internal: 500,
};
