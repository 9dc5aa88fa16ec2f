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

/**
 * The container or image does not exist (any more). Podman answers a request that races a removal
 * with 500 and the cause "no such container" rather than 404; that is the same answer.
 */
export function isNotFound(error: unknown): boolean {
  const status = engineStatus(error);
  if (status === 404) return true;
  return status !== undefined && status >= 500 && /no such container/i.test(engineCause(error));
}

/**
 * Podman answers a request that races a container's process exiting with 500 and a cause such as
 * "read /proc/PID/cgroup: no such process". Nothing is wrong: asked again a moment later, it answers.
 */
export function isExitRace(error: unknown): boolean {
  const status = engineStatus(error);
  return status !== undefined && status >= 500 && /no such process/i.test(engineCause(error));
}

/** Runs a request again (a few times, briefly apart) while it only races a process exiting. */
export async function retryingExitRace<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!isExitRace(error) || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

function engineCause(error: unknown): string {
  const json = typeof error === "object" && error !== null && "json" in error ? (error as { json: unknown }).json : undefined;
  const cause = typeof json === "object" && json !== null && "cause" in json ? String((json as { cause: unknown }).cause) : "";
  return `${cause} ${engineMessage(error)}`;
}
