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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
