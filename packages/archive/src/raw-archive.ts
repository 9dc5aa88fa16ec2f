import { gzipSync } from "node:zlib";
import { END_OF_ARCHIVE, encodeHeader, paddingAfter, type EntryHeader } from "./tar-format.js";

/** One entry of a hand-made archive: a header, and content for regular files. */
export interface RawEntry {
  path: string;
  type?: EntryHeader["type"];
  mode?: number;
  content?: Buffer | string;
  linkpath?: string;
}

/**
 * The bytes of a tar built entry by entry, with no checks at all: this is how tests (ours and
 * other packages') make the malicious or odd archives a real client could send.
 */
export function rawTar(entries: readonly RawEntry[], options: { endMarker?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = typeof entry.content === "string" ? Buffer.from(entry.content) : entry.content ?? Buffer.alloc(0);
    const type = entry.type ?? "File";
    parts.push(
      encodeHeader({
        path: entry.path,
        type,
        mode: entry.mode ?? 0o644,
        size: type === "File" ? content.length : 0,
        mtime: new Date(1_700_000_000_000),
        ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
      }),
    );
    if (type === "File" && content.length > 0) parts.push(content, Buffer.alloc(paddingAfter(content.length)));
  }
  if (options.endMarker ?? true) parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** gzip(rawTar(entries)). */
export function rawTarGz(entries: readonly RawEntry[], options: { endMarker?: boolean } = {}): Buffer {
  return gzipSync(rawTar(entries, options));
}
