/** Reading the errors @kubernetes/client-node raises for API server answers. */
import { ApiException } from "@kubernetes/client-node";

/** The HTTP status of a failed API call, or undefined for transport errors. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** The API server's own explanation (its Status `message`), else the error's text. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    const parsed: unknown = typeof body === "string" ? safeJson(body) : body;
    if (typeof parsed === "object" && parsed !== null && "message" in parsed && typeof parsed.message === "string") return parsed.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether a failed call may succeed unchanged later: no answer at all (a system error such as
 * refused, reset, timed out: the API server restarting or unreachable for a while), 429 (too many
 * requests) or a 5xx (the API server or its storage not ready). A 4xx such as 401, 403 or 404 is
 * an answer, not an outage; an error without a system code is a bug here, not an outage.
 */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status >= 500;
  // node-fetch's FetchError (the client's transport) carries the system error's code (ECONNREFUSED, ECONNRESET, ...).
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string";
}

/** 401 or 403: the API server refused the caller (or, just started, has not yet loaded whom to let in). */
export function isRefusal(error: unknown): boolean {
  const status = statusOf(error);
  return status === 401 || status === 403;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
