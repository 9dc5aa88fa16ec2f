import { Header, Pax } from "tar";

/** Tar works in 512-byte blocks: headers are one block, bodies are padded to a whole block. */
export const BLOCK = 512;

/** The archive ends with two zero blocks. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(BLOCK * 2);

export interface EntryHeader {
  /** Relative name inside the archive, `/`-separated, no leading `./`. */
  path: string;
  type: "File" | "SymbolicLink" | "Link" | "Directory" | "CharacterDevice" | "BlockDevice" | "FIFO";
  mode: number;
  size: number;
  mtime: Date;
  uid?: number;
  gid?: number;
  linkpath?: string;
}

/**
 * The header block(s) of one entry: a POSIX ustar header, preceded by a pax extended header when
 * a field does not fit ustar (names over 100/255 bytes, non-ASCII names, sizes over 8 GiB).
 */
export function encodeHeader(entry: EntryHeader): Buffer {
  const header = new Header({
    path: entry.path,
    type: entry.type,
    mode: entry.mode,
    size: entry.size,
    mtime: entry.mtime,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    linkpath: entry.linkpath ?? "",
    uname: "",
    gname: "",
  });
  const block = Buffer.alloc(BLOCK);
  const needPax = header.encode(block);
  if (!needPax) return block;
  const pax = new Pax({
    path: entry.path,
    ...(entry.linkpath ? { linkpath: entry.linkpath } : {}),
    size: entry.size,
    mtime: entry.mtime,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
  });
  return Buffer.concat([pax.encode(), block]);
}

/** Zero bytes needed after a body of `size` bytes to reach the next block boundary. */
export function paddingAfter(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}
