/** Reading the errors dockerode raises for Docker Engine API answers. */

/** The HTTP status the engine answered with, or undefined for transport errors (engine unreachable...). */
export function engineStatus(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "statusCode" in error) {
    const status = (error as { statusCode: unknown }).statusCode;
    if (typeof status === "number") return status;
  }
  return undefined;
}

/** The engine's own explanation (its JSON `message`), else the error's text. */
export function engineMessage(error: unknown): string {
  if (typeof error === "object" && error !== null && "json" in error) {
    const json = (error as { json: unknown }).json;
    if (typeof json === "object" && json !== null && "message" in json) {
      const message = (json as { message: unknown }).message;
      if (typeof message === "string" && message !== "") return message;
    }
    if (typeof json === "string" && json.trim() !== "") return json.trim();
  }
  return error instanceof Error ? error.message : String(error);
}

export function isNotFound(error: unknown): boolean {
  return engineStatus(error) === 404;
}
