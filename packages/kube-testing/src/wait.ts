/** What tests wait for by default: a hang guard, never a verdict (a loaded machine is slow). */
export const WAIT_MS = 120_000;

/**
 * Asks `probe` every 250 ms until it gives a value (not undefined or false) and returns it; errors
 * in between count as "not yet". After `timeoutMs`, fails naming what was awaited and the last error.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
