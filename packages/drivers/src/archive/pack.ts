import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { Readable, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
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
}

export const DEFAULT_GZIP_LEVEL = 6;

/** Bytes read from a file at once: large enough for throughput, small enough to keep memory flat. */
const READ_CHUNK = 256 * 1024;

/**
 * gzip(POSIX tar) of the folder's regular files and symbolic links, names relative to `dir`
 * (spec/api.md §4.1). Streams: one read chunk per file at a time, with backpressure from the
 * consumer. Errors (unreadable file, file shrinking while read, symlink loop) destroy the
 * returned stream with that error.
 */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const dereference = options.dereference ?? false;
  const tar = Readable.from(tarBlocks(dir, dereference), { objectMode: false });
  const gzip = createGzip({ level: options.gzipLevel ?? DEFAULT_GZIP_LEVEL });
  // pipeline forwards a failure of either side to the other, so the consumer sees the error.
  pipeline(tar, gzip, () => undefined);
  return gzip;
}

/** The uncompressed tar stream of a folder, as a sequence of buffers. */
export async function* tarBlocks(dir: string, dereference: boolean): AsyncGenerator<Buffer> {
  for await (const entry of walkFolder(dir, dereference)) {
    yield* entryBlocks(entry, dereference);
  }
  yield END_OF_ARCHIVE;
}

async function* entryBlocks(entry: WalkedEntry, dereference: boolean): AsyncGenerator<Buffer> {
  const common = {
    path: entry.name,
    mode: entry.stats.mode & 0o7777,
    mtime: entry.stats.mtime,
    uid: entry.stats.uid,
    gid: entry.stats.gid,
  };
  if (entry.kind === "symlink") {
    yield encodeHeader({ ...common, type: "SymbolicLink", size: 0, linkpath: entry.target });
    return;
  }
  const size = entry.stats.size;
  yield encodeHeader({ ...common, type: "File", size });
  if (size === 0) return;
  let sent = 0;
  // Without dereference the walk saw a regular file: refuse to follow a link swapped in since.
  const flags = constants.O_RDONLY | (dereference ? 0 : constants.O_NOFOLLOW);
  // The header announced `size` bytes: read exactly that many even if the file grows meanwhile.
  const handle = await open(entry.absolute, flags);
  // The stream owns the handle from here: it closes it at the end, on error and on destroy.
  const content = handle.createReadStream({ start: 0, end: size - 1, highWaterMark: READ_CHUNK });
  for await (const chunk of content as AsyncIterable<Buffer>) {
    sent += chunk.length;
    yield chunk;
  }
  if (sent !== size) {
    throw new Error(`file "${entry.name}" shrank from ${size} to ${sent} bytes while it was being archived`);
  }
  const padding = paddingAfter(size);
  if (padding > 0) yield Buffer.alloc(padding);
}
