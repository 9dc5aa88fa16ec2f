import { close as fsClose, constants, open as fsOpen, read as fsRead } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { Readable, pipeline } from "node:stream";
import { aheadInOrder } from "./ahead.js";
import { ParallelGzip } from "./parallel-gzip.js";
import { END_OF_ARCHIVE, encodeHeader, paddingAfter } from "./tar-format.js";
import { walkFolder, type WalkedEntry } from "./walk.js";

export interface PackOptions {
  /** Follow symbolic links and archive what they point to (detecting loops). Default false. */
  dereference?: boolean;
  /**
   * gzip compression level, 0..9. Default 6, the level of `gzip` and `tar -czf`, which balances
   * speed and size the same way the tools users compare us with do.
   */
  gzipLevel?: number;
  /**
   * Threads compressing at once (each on its own 2 MiB segment, see ParallelGzip). Default 2:
   * on a machine with two cores or more the archive is made about twice as fast, while one
   * transfer never takes more than two of libuv's four pool threads.
   */
  gzipThreads?: number;
  /** Called with the size of each piece of uncompressed tar as it goes into gzip (progress). */
  onTarBytes?: (bytes: number) => void;
}

export const DEFAULT_GZIP_LEVEL = 6;

/**
 * Bytes read from a large file at once, and the size the small pieces (headers, padding, small
 * files) are gathered to before they are handed on: few large chunks keep the per-chunk cost of
 * streams, gzip and HTTP low, while memory stays at a few of them.
 */
const CHUNK = 1024 * 1024;
/** Files up to this size are read whole, several at once, ahead of the one being archived. */
const SMALL_FILE = 256 * 1024;
const READ_AHEAD = 16;
export const DEFAULT_GZIP_THREADS = 2;
/** Uncompressed bytes per gzip member: small enough for flat memory, large enough to cost < 0.1% of size. */
const GZIP_SEGMENT = 2 * 1024 * 1024;

/**
 * gzip(POSIX tar) of the folder's regular files and symbolic links, names relative to `dir`
 * (spec/api.md §4.1). Streams with bounded memory and backpressure from the consumer. Errors
 * (unreadable file, file shrinking while read, symlink loop) destroy the returned stream with
 * that error.
 */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const dereference = options.dereference ?? false;
  const blocks = tarBlocks(dir, dereference);
  const tar = Readable.from(options.onTarBytes ? counted(blocks, options.onTarBytes) : blocks, { objectMode: false, highWaterMark: CHUNK });
  const gzip = new ParallelGzip({
    level: options.gzipLevel ?? DEFAULT_GZIP_LEVEL,
    parallel: Math.max(1, options.gzipThreads ?? DEFAULT_GZIP_THREADS),
    segment: GZIP_SEGMENT,
  });
  // pipeline forwards a failure of either side to the other, so the consumer sees the error.
  pipeline(tar, gzip, () => undefined);
  return gzip;
}

async function* counted(blocks: AsyncIterable<Buffer>, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const block of blocks) {
    onBytes(block.length);
    yield block;
  }
}

/** What one entry contributes: all of its blocks, or a large file to stream after its header. */
type Prepared = { blocks: Buffer[] } | { header: Buffer; large: WalkedEntry & { kind: "file" } };

/**
 * The uncompressed tar stream of a folder, as a sequence of buffers of about CHUNK bytes (small
 * pieces are gathered, large file chunks pass as they are read).
 */
export async function* tarBlocks(dir: string, dereference: boolean): AsyncGenerator<Buffer> {
  const gathered = new Gatherer();
  const prepared = aheadInOrder(walkFolder(dir, dereference), READ_AHEAD, (entry) => prepare(entry, dereference));
  for await (const item of prepared) {
    if ("blocks" in item) {
      for (const block of item.blocks) yield* gathered.add(block);
      continue;
    }
    yield* gathered.add(item.header);
    yield* gathered.flush();
    for await (const chunk of largeFileChunks(item.large, dereference)) yield chunk;
  }
  yield* gathered.add(END_OF_ARCHIVE);
  yield* gathered.flush();
}

async function prepare(entry: WalkedEntry, dereference: boolean): Promise<Prepared> {
  const common = {
    path: entry.name,
    mode: entry.stats.mode & 0o7777,
    mtime: entry.stats.mtime,
    uid: entry.stats.uid,
    gid: entry.stats.gid,
  };
  if (entry.kind === "symlink") {
    return { blocks: [encodeHeader({ ...common, type: "SymbolicLink", size: 0, linkpath: entry.target })] };
  }
  const size = entry.stats.size;
  const header = encodeHeader({ ...common, type: "File", size });
  if (size === 0) return { blocks: [header] };
  if (size > SMALL_FILE) return { header, large: entry };
  // Body and padding in one buffer; the padding must be zeros.
  const body = Buffer.allocUnsafe(size + paddingAfter(size));
  body.fill(0, size);
  const read = await readSmallFile(entry.absolute, openFlags(dereference), body, size);
  if (read !== size) throw shrank(entry.name, size, read);
  return { blocks: [header, body] };
}

/**
 * Reads up to `length` bytes of a file into `buffer`; resolves with the count read. With the
 * callback API and the bare descriptor: a FileHandle of fs/promises costs more to make and close
 * than reading a small file does, and per file that is most of packing many small files.
 */
function readSmallFile(path: string, flags: number, buffer: Buffer, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsOpen(path, flags, (openError, fd) => {
      if (openError) return reject(openError);
      let done = 0;
      const finish = (error: Error | null) => fsClose(fd, (closeError) => {
        if (error ?? closeError) reject(error ?? closeError);
        else resolve(done);
      });
      const readOn = () => fsRead(fd, buffer, done, length - done, done, (readError, bytesRead) => {
        if (readError) return finish(readError);
        done += bytesRead;
        if (bytesRead === 0 || done >= length) return finish(null);
        readOn();
      });
      readOn();
    });
  });
}

/** The body of a large file in CHUNK-sized reads, then its padding. */
async function* largeFileChunks(entry: WalkedEntry, dereference: boolean): AsyncGenerator<Buffer> {
  const size = entry.stats.size;
  const handle = await openEntry(entry, dereference);
  try {
    let sent = 0;
    while (sent < size) {
      // A fresh buffer per chunk: the consumer may still hold the previous one.
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - sent));
      const read = await readFully(handle, chunk, chunk.length, sent);
      // The header announced `size` bytes: never send more, and fail if the file shrank.
      if (read !== chunk.length) throw shrank(entry.name, size, sent + read);
      sent += read;
      yield chunk;
    }
  } finally {
    await handle.close();
  }
  const padding = paddingAfter(size);
  if (padding > 0) yield Buffer.alloc(padding);
}

function openEntry(entry: WalkedEntry, dereference: boolean): Promise<FileHandle> {
  return open(entry.absolute, openFlags(dereference));
}

function openFlags(dereference: boolean): number {
  // Without dereference the walk saw a regular file: refuse to follow a link swapped in since.
  return constants.O_RDONLY | (dereference ? 0 : constants.O_NOFOLLOW);
}

/** Reads until `length` bytes are in `buffer` or the file ends; returns the count read. */
async function readFully(handle: FileHandle, buffer: Buffer, length: number, position = 0): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function shrank(name: string, size: number, read: number): Error {
  return new Error(`file "${name}" shrank from ${size} to ${read} bytes while it was being archived`);
}

/** Gathers small buffers into one of about CHUNK bytes (one copy of small data, none of large). */
class Gatherer {
  #pieces: Buffer[] = [];
  #bytes = 0;

  *add(piece: Buffer): Generator<Buffer> {
    this.#pieces.push(piece);
    this.#bytes += piece.length;
    if (this.#bytes >= CHUNK) yield* this.flush();
  }

  *flush(): Generator<Buffer> {
    if (this.#bytes === 0) return;
    const pieces = this.#pieces;
    const bytes = this.#bytes;
    this.#pieces = [];
    this.#bytes = 0;
    yield pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, bytes);
  }
}
