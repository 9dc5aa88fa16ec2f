import { Header, Pax, type HeaderData } from "tar";
import { ByteReader } from "./byte-reader.js";
import { CorruptArchiveError } from "./errors.js";
import { BLOCK, paddingAfter } from "./tar-format.js";

/** One archive member as the header describes it, before any safety check. */
export interface TarEntry {
  path: string;
  /** node-tar's type name: File, OldFile, ContiguousFile, Directory, SymbolicLink, Link, FIFO, ... */
  type: string;
  mode: number;
  size: number;
  mtime: Date | undefined;
  linkpath: string;
}

/** Called per entry with its body; the body must be read through or left alone (it is skipped). */
export type EntryHandler = (entry: TarEntry, body: AsyncIterable<Buffer>) => Promise<void>;

/** pax and GNU long-name records are small; a huge one is an attack on memory. */
const MAX_META_SIZE = 1024 * 1024;

const META_TYPES = new Set([
  "ExtendedHeader",
  "OldExtendedHeader",
  "GlobalExtendedHeader",
  "NextFileHasLongPath",
  "OldGnuLongPath",
  "NextFileHasLongLinkpath",
]);

/**
 * Reads an uncompressed tar stream entry by entry, applying pax and GNU long-name records to the
 * entry they precede. Stops at the first zero block (end of archive) and then drains the rest
 * (tar pads archives to a record size). An input ending cleanly between entries without the end
 * marker is accepted, as GNU tar and Go do; an input ending inside a header or a body, or a header
 * with a bad checksum, is a CorruptArchiveError.
 */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: EntryHandler): Promise<void> {
  const reader = new ByteReader(source);
  let extended: HeaderData | undefined;
  let global: HeaderData | undefined;
  for (;;) {
    const offset = reader.position;
    const block = await reader.exactly(BLOCK);
    if (block === undefined) return;
    if (!Buffer.isBuffer(block)) throw new CorruptArchiveError(`input ends inside the header at byte ${offset}`);
    const header = readHeader(block, offset, extended, global);
    if (header.nullBlock) {
      await reader.drain();
      return;
    }
    if (!header.cksumValid) throw new CorruptArchiveError(`header at byte ${offset} has a bad checksum`);
    const size = header.size;
    if (size === undefined || !Number.isSafeInteger(size)) {
      throw new CorruptArchiveError(`header at byte ${offset} has no valid size`);
    }
    const type = header.type;
    // Header.decode prepends the ustar prefix even to a pax path, so the pax values win here.
    const name = (META_TYPES.has(type) ? undefined : extended?.path) ?? header.path ?? "";
    const linkpath = (META_TYPES.has(type) ? undefined : extended?.linkpath) ?? header.linkpath ?? "";

    if (META_TYPES.has(type)) {
      if (size > MAX_META_SIZE) throw new CorruptArchiveError(`${type} record at byte ${offset} is too large (${size} bytes)`);
      const text = (await readAll(reader, size, name)).toString("utf8");
      await skip(reader, paddingAfter(size), name);
      if (type === "GlobalExtendedHeader") global = parsePax(text, global, true, offset);
      else if (type === "ExtendedHeader" || type === "OldExtendedHeader") extended = parsePax(text, extended, false, offset);
      else if (type === "NextFileHasLongLinkpath") extended = { ...extended, linkpath: text.replace(/\0.*/s, "") };
      else extended = { ...extended, path: text.replace(/\0.*/s, "") };
      continue;
    }
    extended = undefined;

    const entry: TarEntry = {
      path: name,
      type,
      mode: header.mode ?? 0o644,
      size,
      mtime: header.mtime,
      linkpath,
    };
    let remaining = size;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        while (remaining > 0) {
          const piece = await reader.some(remaining);
          if (piece === undefined) throw truncated(name, remaining);
          remaining -= piece.length;
          yield piece;
        }
      },
    };
    await onEntry(entry, body);
    // Whatever the handler did not read (a directory's bogus size, an ignored body) is skipped.
    await skip(reader, remaining, name);
    remaining = 0;
    await skip(reader, paddingAfter(size), name);
  }
}

/**
 * node-tar's header decoder throws plain errors on garbage (e.g. "invalid base256 encoding" in a
 * numeric field): that is a broken archive from the sender, not a failure of ours.
 */
function readHeader(block: Buffer, offset: number, extended: HeaderData | undefined, global: HeaderData | undefined): Header {
  try {
    return new Header(block, 0, extended, global);
  } catch (error) {
    throw new CorruptArchiveError(`header at byte ${offset} cannot be read (${(error as Error).message})`, error);
  }
}

function parsePax(text: string, base: HeaderData | undefined, global: boolean, offset: number): HeaderData {
  try {
    return Pax.parse(text, base, global);
  } catch (error) {
    throw new CorruptArchiveError(`pax record at byte ${offset} cannot be read (${(error as Error).message})`, error);
  }
}

async function readAll(reader: ByteReader, size: number, name: string): Promise<Buffer> {
  if (size === 0) return Buffer.alloc(0);
  const bytes = await reader.exactly(size);
  if (!Buffer.isBuffer(bytes)) throw truncated(name, bytes === undefined ? size : size - bytes.short);
  return bytes;
}

async function skip(reader: ByteReader, count: number, name: string): Promise<void> {
  let left = count;
  while (left > 0) {
    const piece = await reader.some(left);
    if (piece === undefined) throw truncated(name, left);
    left -= piece.length;
  }
}

function truncated(name: string, missing: number): CorruptArchiveError {
  return new CorruptArchiveError(`input ends inside entry "${name}" (${missing} bytes missing)`);
}
