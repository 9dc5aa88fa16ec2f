/**
 * Small files are written in the background while the archive is read on, so that their
 * write/chmod/utimes/close round trips to the thread pool overlap instead of adding up.
 * Bounded in count and in bytes held, so memory stays flat. The first failure is kept and
 * reported by the next `add` or by `settle`.
 */
export class BackgroundWrites {
  readonly #maxCount: number;
  readonly #maxBytes: number;
  readonly #running = new Set<Promise<void>>();
  #bytes = 0;
  #failure: { error: unknown } | undefined;

  constructor(maxCount: number, maxBytes: number) {
    this.#maxCount = maxCount;
    this.#maxBytes = maxBytes;
  }

  /** Starts `write` (holding `bytes` of memory until done), after waiting for room. */
  async add(bytes: number, write: () => Promise<void>): Promise<void> {
    while (this.#running.size > 0 && (this.#running.size >= this.#maxCount || this.#bytes + bytes > this.#maxBytes)) {
      await Promise.race(this.#running);
    }
    this.#throwFailure();
    this.#bytes += bytes;
    const running: Promise<void> = write()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => {
        this.#bytes -= bytes;
        this.#running.delete(running);
      });
    this.#running.add(running);
  }

  /** Waits for every write started so far; throws the first failure. */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#throwFailure();
  }

  /** Waits for every write started so far, ignoring failures (used when already failing). */
  async quiesce(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}
