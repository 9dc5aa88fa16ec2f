/**
 * Domain errors: what went wrong, in the domain's terms (bad input, not found, a conflict, ...),
 * each a class of its own. They know nothing of HTTP: the HTTP layer maps each class to a status
 * code in one place (server/src/http/errors.ts).
 *
 * Every error reads as `<reason>[\n<advice>][\n caused by:<cause>]` (wireMessage), the reference's
 * flattened format (spec/api.md §0.2). `details` carries machine-readable facts about the failure
 * (for example the planId of an equivalent plan); the HTTP layer decides which reach a client.
 */
export interface KnitErrorOptions {
  advice?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export abstract class KnitError extends Error {
  readonly reason: string;
  readonly advice: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(reason: string, options: KnitErrorOptions = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KnitError";
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

/** The request is malformed or invalid; nothing was changed. */
export class InputError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "InputError";
  }
}

/** An InputError with the reference's fixed reason `bad request` and the detail as advice. */
export function badRequest(advice: string, cause?: unknown): InputError {
  return new InputError("bad request", cause === undefined ? { advice } : { advice, cause });
}

/** The caller's credentials (an import token) are missing, invalid or expired. */
export class UnauthorizedError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "UnauthorizedError";
  }
}

/** The request is refused whoever asks this way (a page of another origin, a foreign Host name). */
export class ForbiddenError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "ForbiddenError";
  }
}

/** What the request names does not exist (or is not visible). */
export class NotFoundError extends KnitError {
  constructor(reason = "not found", options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "NotFoundError";
  }
}

/** The request contradicts the current state (an equivalent plan, an illegal run transition, ...). */
export class ConflictError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "ConflictError";
  }
}

/** The request is bigger than this server accepts (an upload over a configured limit or the free space). */
export class TooLargeError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "TooLargeError";
  }
}

/** Try again later (the reference's reason text, typo included, is kept for wire compatibility). */
export class UnavailableError extends KnitError {
  constructor(advice = "please retry later.", options: Omit<KnitErrorOptions, "advice"> = {}) {
    super("service unavailable temporaly", { ...options, advice });
    this.name = "UnavailableError";
  }
}

/** Something failed on our side (a missing record, a store failure); the client can only try again. */
export class InternalError extends KnitError {
  constructor(reason: string, options?: KnitErrorOptions) {
    super(reason, options);
    this.name = "InternalError";
  }
}
