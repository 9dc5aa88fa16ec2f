/**
 * Pulls bytes from an async iterable of chunks in the amounts a parser asks for, holding at most
 * the remainder of one chunk. The parser awaits each read, so backpressure reaches the source.
 */
export class ByteReader {
  readonly #chunks: AsyncIterator<Buffer>;
  #pending: Buffer = Buffer.alloc(0);
  #ended = false;
  /** Bytes handed out so far, for error messages. */
  position = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.#chunks = source[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the input. */
  async some(max: number): Promise<Buffer | undefined> {
    while (this.#pending.length === 0) {
      if (this.#ended) return undefined;
      const next = await this.#chunks.next();
      if (next.done) {
        this.#ended = true;
        return undefined;
      }
      this.#pending = next.value;
    }
    const piece = this.#pending.subarray(0, max);
    this.#pending = this.#pending.subarray(piece.length);
    this.position += piece.length;
    return piece;
  }

  /**
   * Exactly `count` bytes; undefined when the input ended before the first of them;
   * `{ short }` when it ended part-way (the caller decides how to report truncation).
   */
  async exactly(count: number): Promise<Buffer | undefined | { short: number }> {
    const first = await this.some(count);
    if (first === undefined) return undefined;
    if (first.length === count) return first;
    const pieces = [first];
    let have = first.length;
    while (have < count) {
      const piece = await this.some(count - have);
      if (piece === undefined) return { short: have };
      pieces.push(piece);
      have += piece.length;
    }
    return Buffer.concat(pieces, count);
  }

  /** Reads and drops the rest of the input (so checksums over the whole input complete). */
  async drain(): Promise<void> {
    while ((await this.some(Number.MAX_SAFE_INTEGER)) !== undefined) {
      // discard
    }
  }
}
