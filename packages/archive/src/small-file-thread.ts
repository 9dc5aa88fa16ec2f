import { Worker } from "node:worker_threads";
import type { NewFile } from "./file-write.js";

/**
 * Many small files, written by one worker thread with synchronous calls. Through the thread pool
 * each file costs five round trips (open, write, chmod, utimes, close), and on the main thread each
 * round trip costs more than the system call itself; that was most of the CPU of extracting
 * 100,000 small files. The worker makes the same calls with the same rules (`wx`: never an existing
 * path or a link; mode and mtime through the descriptor), one after another, in batches the main
 * thread hands over with their bytes. The checks that decide what may be written stay on the main
 * thread, before a file is queued; a hard link to a queued file waits for `flush`.
 */

/** The worker's source, plain CommonJS: evaluated as it is, so it works from the CLI's bundle too. */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
parentPort.on("message", ({ id, files, buffer }) => {
  const bytes = Buffer.from(buffer);
  let failure;
  for (const file of files) {
    let fd;
    try {
      fd = fs.openSync(file.path, "wx", 0o600);
      let offset = file.offset;
      const end = file.offset + file.length;
      while (offset < end) {
        const written = fs.writeSync(fd, bytes, offset, end - offset);
        if (written === 0) throw new Error("a write to the extracted file made no progress");
        offset += written;
      }
      fs.fchmodSync(fd, file.mode & 0o777);
      if (file.mtime !== null) fs.futimesSync(fd, file.mtime / 1000, file.mtime / 1000);
    } catch (error) {
      failure = { name: file.name, code: error && error.code, message: String(error && error.message) };
    } finally {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch (error) {
          if (!failure) failure = { name: file.name, code: error && error.code, message: String(error && error.message) };
        }
      }
    }
    if (failure) break;
  }
  parentPort.postMessage({ id, failure });
});
`;

/** A batch is handed over at this many files or bytes, whichever comes first. */
const BATCH_FILES = 256;
const BATCH_BYTES = 2 * 1024 * 1024;
/** Bytes handed over and not yet written; adding more waits. */
const IN_FLIGHT_BYTES = 16 * 1024 * 1024;

interface QueuedFile {
  /** The entry's name in the archive, for errors. */
  name: string;
  path: string;
  mode: number;
  /** Milliseconds since the epoch, or null to leave the time of writing. */
  mtime: number | null;
  offset: number;
  length: number;
}

/** What the worker reports of a failed file: the entry's name, the system's error code and message. */
export interface SmallFileFailure {
  name: string;
  code: string | undefined;
  message: string;
}

interface Reply {
  id: number;
  failure: SmallFileFailure | undefined;
}

export class SmallFileThread {
  readonly #worker = new Worker(WORKER_SOURCE, { eval: true });
  readonly #pending = new Map<number, { bytes: number; done: () => void }>();
  /** The batches' completions, oldest first. */
  readonly #waits: Promise<void>[] = [];
  #nextId = 0;
  #inFlight = 0;
  #files: QueuedFile[] = [];
  #pieces: Buffer[] = [];
  #batchBytes = 0;
  #failure: SmallFileFailure | undefined;
  #crashed: Error | undefined;

  constructor() {
    this.#worker.on("message", (reply: Reply) => {
      if (reply.failure) this.#failure ??= reply.failure;
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      this.#inFlight -= pending.bytes;
      pending.done();
    });
    // A worker that cannot run at all (out of memory) ends every wait with its error.
    this.#worker.on("error", (error) => {
      this.#crashed ??= error;
      for (const pending of this.#pending.values()) pending.done();
      this.#pending.clear();
    });
  }

  /** Queues a file; waits while too many bytes are handed over and not yet written. */
  async add(name: string, file: NewFile, content: Buffer): Promise<void> {
    this.#throwFailure();
    const mtime = file.mtime === undefined || Number.isNaN(file.mtime.getTime()) ? null : file.mtime.getTime();
    this.#files.push({ name, path: file.path, mode: file.mode, mtime, offset: this.#batchBytes, length: content.length });
    this.#pieces.push(content);
    this.#batchBytes += content.length;
    if (this.#files.length >= BATCH_FILES || this.#batchBytes >= BATCH_BYTES) {
      this.#handOver();
      while (this.#inFlight > IN_FLIGHT_BYTES && this.#pending.size > 0) await this.#oldest();
      this.#throwFailure();
    }
  }

  /** Waits until every file queued so far is written; throws the first failure. */
  async flush(): Promise<void> {
    this.#handOver();
    while (this.#pending.size > 0) await this.#oldest();
    this.#throwFailure();
  }

  /** Stops the worker; queued files not handed over are dropped (call flush first to keep them). */
  async close(): Promise<void> {
    this.#files = [];
    this.#pieces = [];
    await this.#worker.terminate();
  }

  #handOver(): void {
    if (this.#files.length === 0) return;
    const id = this.#nextId++;
    const buffer = Buffer.concat(this.#pieces, this.#batchBytes);
    // A fresh ArrayBuffer of exactly these bytes, moved to the worker rather than copied again.
    const transferable = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? buffer.buffer : buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    const bytes = this.#batchBytes;
    const done = new Promise<void>((resolve) => this.#pending.set(id, { bytes, done: resolve }));
    this.#waits.push(done);
    this.#inFlight += bytes;
    this.#worker.postMessage({ id, files: this.#files, buffer: transferable }, [transferable as ArrayBuffer]);
    this.#files = [];
    this.#pieces = [];
    this.#batchBytes = 0;
  }

  async #oldest(): Promise<void> {
    const oldest = this.#waits.shift();
    if (oldest) await oldest;
  }

  #throwFailure(): void {
    if (this.#crashed) throw this.#crashed;
    if (this.#failure) throw failureError(this.#failure);
  }
}

/** The failure as an Error with the system's code, as a thread-pool call would have thrown it. */
function failureError(failure: SmallFileFailure): Error {
  return Object.assign(new Error(failure.message), { code: failure.code, entryName: failure.name });
}
