import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * A pass-through stream that computes the MD5 of every byte passing through it. Used for the
 * `x-checksum-md5` trailer, which covers the compressed bytes, so the tap sits on the gzip side.
 */
export class Md5Tap extends Transform {
  #hash: Hash = createHash("md5");
  #digest: string | undefined;
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash.digest("hex");
    callback();
  }

  /** Lower-case hex MD5 of all bytes seen; available once the input has ended. */
  get md5(): string | undefined {
    return this.#digest;
  }

  /** Number of bytes that have passed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Like `md5`, but throws when the stream has not ended yet (a programming error). */
  digest(): string {
    if (this.#digest === undefined) throw new Error("md5 is not available before the stream has ended");
    return this.#digest;
  }
}

export function md5Tap(): Md5Tap {
  return new Md5Tap();
}
