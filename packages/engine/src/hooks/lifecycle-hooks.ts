import type { LifecycleHookPayload } from "@knitfab/api";
import type { HookUrls } from "./hooks-file.js";

/** A before hook said no (or could not be reached): the transition must not happen now. */
export class BeforeHookError extends Error {
  override name = "BeforeHookError";
}

export interface LifecycleHooks {
  readonly hasBefore: boolean;
  readonly hasAfter: boolean;
  /**
   * Calls every before hook in order with the run as it is now; the first failure throws
   * BeforeHookError. Returns the environment the hooks asked for (`knitfabExtension.env`, later URLs
   * winning per key), which only the ready → starting transition uses.
   */
  before(run: LifecycleHookPayload): Promise<Record<string, string>>;
  /** Tells every after hook, without waiting and ignoring failures (at most once). */
  after(run: LifecycleHookPayload): void;
  /** Waits for after-hook calls in flight (for a clean stop). */
  settle(): Promise<void>;
}

export function createLifecycleHooks(urls: HookUrls, timeoutMs: number, onAfterError: (message: string) => void = () => {}): LifecycleHooks {
  const inFlight = new Set<Promise<void>>();

  async function post(url: string, run: LifecycleHookPayload): Promise<Response> {
    return fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(run),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  return {
    hasBefore: urls.before.length > 0,
    hasAfter: urls.after.length > 0,
    async before(run) {
      const env: Record<string, string> = {};
      for (const url of urls.before) {
        let response: Response;
        try {
          response = await post(url, run);
        } catch (error) {
          const reason = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String((error as Error).message ?? error);
          throw new BeforeHookError(`before hook ${url} failed: ${reason}`);
        }
        const contentType = response.headers.get("content-type") ?? "";
        const body = await response.text().catch(() => "");
        if (response.status < 200 || response.status > 299) {
          const shown = /^text\/|^application\/.*json/.test(contentType) ? `: ${body.slice(0, 500)}` : "";
          throw new BeforeHookError(`before hook ${url} answered ${response.status} (${contentType || "no content type"})${shown}`);
        }
        // Only an exact application/json answer is read (spec/api.md §7); invalid JSON then counts as failure.
        if (contentType !== "application/json") continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new BeforeHookError(`before hook ${url} answered application/json that is not JSON: ${body.slice(0, 200)}`);
        }
        Object.assign(env, extensionEnv(parsed));
      }
      return env;
    },
    after(run) {
      for (const url of urls.after) {
        const call = post(url, run)
          .then((response) => response.body?.cancel())
          .catch((error: unknown) => onAfterError(`after hook ${url} failed (ignored): ${(error as Error).message ?? String(error)}`))
          .finally(() => inFlight.delete(call));
        inFlight.add(call);
      }
    },
    async settle() {
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * `{"knitfabExtension": {"env": {"NAME": "value"}}}` (LifecycleHookResponse) → the string-valued
 * entries of env. Read leniently, field by field: a hook's other fields and odd values are ignored.
 */
function extensionEnv(parsed: unknown): Record<string, string> {
  if (typeof parsed !== "object" || parsed === null) return {};
  const extension = (parsed as Record<string, unknown>).knitfabExtension;
  if (typeof extension !== "object" || extension === null) return {};
  const env = (extension as Record<string, unknown>).env;
  if (typeof env !== "object" || env === null) return {};
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) result[name] = value;
  }
  return result;
}
