// The API token of a server started with `--auth tokens`: asked for once, when the API first answers
// 401, and kept for this browser session. Requests send it as `Authorization: Bearer`; logging in
// also sets the server's HttpOnly session cookie (POST /api/x/session), which carries it for what
// cannot send a header: download links and the followed run log.

const STORAGE_KEY = "knitfab.apiToken";

export interface PromptState {
  /** the form is shown */
  open: boolean;
  /** why the last token was refused */
  error?: string;
  busy?: boolean;
}

let state: PromptState = { open: false };
const listeners = new Set<(state: PromptState) => void>();
/** Requests waiting for a token; one prompt serves them all. */
let waiting: { promise: Promise<void>; resolve: () => void } | undefined;

function publish(next: PromptState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

export function promptState(): PromptState {
  return state;
}

export function subscribePrompt(listener: (state: PromptState) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The token of this browser session, if one was given. */
export function sessionToken(): string | undefined {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the session cookie still works
  }
}

/** True when an answer asks for an API token (not any 401: import/end's own JWT check is one too). */
export function asksForToken(response: Response): boolean {
  return response.status === 401 && /^Bearer/i.test(response.headers.get("www-authenticate") ?? "");
}

/** Resolves once the user has given a token the server accepts; shows the form if it is not shown. */
export function waitForToken(refused: boolean): Promise<void> {
  if (!waiting) {
    let resolve = () => {};
    const promise = new Promise<void>((done) => (resolve = done));
    waiting = { promise, resolve };
    publish({
      open: true,
      ...(refused && sessionToken() !== undefined ? { error: "The token of this session is no longer accepted (revoked?): enter a new one." } : {}),
    });
  }
  return waiting.promise;
}

/** Checks a token with the server, which sets the session cookie; on success the waiting requests go on. */
export async function submitToken(token: string): Promise<void> {
  const trimmed = token.trim();
  if (trimmed === "") return publish({ open: true, error: "Enter the API token your administrator gave you." });
  publish({ open: true, busy: true });
  let response: Response;
  try {
    response = await fetch("/api/x/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: trimmed }) });
  } catch (error) {
    return publish({ open: true, error: `Cannot reach the server (${String(error)}); try again.` });
  }
  if (response.status === 401) return publish({ open: true, error: "This token is not accepted (unknown or revoked). Check it, or ask your administrator for a new one." });
  if (!response.ok) return publish({ open: true, error: `The server answered ${response.status}; try again.` });
  try {
    window.sessionStorage.setItem(STORAGE_KEY, trimmed);
  } catch {
    // storage disabled: the session cookie carries the token
  }
  publish({ open: false });
  const done = waiting;
  waiting = undefined;
  done?.resolve();
}
