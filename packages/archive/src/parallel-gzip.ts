import { Transform, type TransformCallback } from "node:stream";
import { createGzip, type Gzip } from "node:zlib";

export interface ParallelGzipOptions {
  level: number;
  /** Segments compressed at once; each is an independent gzip member. */
  parallel: number;
  /** Uncompressed bytes per member. */
  segment: number;
}

/** gzip output chunk inside a member. */
const OUTPUT_CHUNK = 256 * 1024;

/** One member: its own gzip stream, fed as input arrives, and its output once complete. */
interface Member {
  gzip: Gzip;
  bytes: number;
  output: Buffer[];
  finished: boolean;
  failed: Error | undefined;
}

/**
 * gzip on several threads: the input is cut into segments, each compressed by its own gzip stream
 * (in the libuv thread pool) as its input arrives, so up to `parallel` segments are compressed at
 * the same time; each segment is a gzip member, written out in order. A sequence of members is one
 * valid gzip stream (RFC 1952 §2.2) that gunzip, GNU tar, Go's gzip.Reader and Node's gunzip read
 * as a whole. Each member starts with an empty 32 KiB window, which costs well under 1% of size at
 * MiB segments. No input or output is copied. Memory: about `parallel` segments plus their output.
 */
export class ParallelGzip extends Transform {
  readonly #options: ParallelGzipOptions;
  /** Members not yet handed on, oldest first; the last one may still take input. */
  readonly #members: Member[] = [];
  #open: Member | undefined;
  #started = false;
  /** Called when the oldest member finishes (a wait for room, or the final flush). */
  #onProgress: (() => void) | undefined;

  constructor(options: ParallelGzipOptions) {
    super({ readableHighWaterMark: options.segment, writableHighWaterMark: options.segment });
    this.#options = options;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#open !== undefined) {
      this.#feed(this.#open, chunk);
      callback();
      return;
    }
    // A new member: wait until fewer than `parallel` are compressing.
    this.#whenRoom(this.#options.parallel - 1)
      .then(() => {
        this.#feed(this.#startMember(), chunk);
        callback();
      })
      .catch(callback);
  }

  override _flush(callback: TransformCallback): void {
    // An empty input still gives one (empty) member, so the output is always valid gzip.
    if (!this.#started) this.#startMember();
    if (this.#open !== undefined) this.#close(this.#open);
    this.#whenRoom(0).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const member of this.#members) member.gzip.destroy();
    callback(error);
  }

  #startMember(): Member {
    const gzip = createGzip({ level: this.#options.level, chunkSize: OUTPUT_CHUNK });
    const member: Member = { gzip, bytes: 0, output: [], finished: false, failed: undefined };
    gzip.on("data", (piece: Buffer) => member.output.push(piece));
    gzip.on("end", () => {
      member.finished = true;
      this.#handOn();
    });
    gzip.on("error", (error: Error) => {
      member.failed = error;
      this.#handOn();
    });
    this.#members.push(member);
    this.#open = member;
    this.#started = true;
    return member;
  }

  #feed(member: Member, chunk: Buffer): void {
    // The member's own buffer holds at most one segment: this class bounds the input, not gzip's HWM.
    member.gzip.write(chunk);
    member.bytes += chunk.length;
    if (member.bytes >= this.#options.segment) this.#close(member);
  }

  #close(member: Member): void {
    member.gzip.end();
    this.#open = undefined;
  }

  /** Pushes the output of finished members in order, and wakes whoever waits for room. */
  #handOn(): void {
    for (;;) {
      const oldest = this.#members[0];
      // A failed member stays first: #whenRoom reports it and nothing after it is handed on.
      if (oldest === undefined || !oldest.finished) break;
      this.#members.shift();
      for (const piece of oldest.output) this.push(piece);
      oldest.output = [];
    }
    const wake = this.#onProgress;
    this.#onProgress = undefined;
    wake?.();
  }

  /** Resolves once at most `count` members are left unfinished or unhanded; rejects on a member's failure. */
  async #whenRoom(count: number): Promise<void> {
    for (;;) {
      const failed = this.#members.find((member) => member.failed !== undefined);
      if (failed !== undefined) throw failed.failed;
      if (this.#members.length <= count) return;
      await new Promise<void>((resolve) => {
        this.#onProgress = resolve;
      });
    }
  }
}
