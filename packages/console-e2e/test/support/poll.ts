import { expect } from "vitest";

/**
 * `expect.poll` with room for a busy machine: vitest's default gives up after one second, which a
 * loaded CI machine can exceed without anything being wrong. The timeout only bounds a failure.
 */
export function poll<T>(read: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}) {
  return expect.poll(read, { timeout: 20_000, interval: 100, ...options });
}
