import { link, mkdir, readdir, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, type ZlibOptions } from "node:zlib";
import { BackgroundWrites } from "./background-writes.js";
import { entryComponents, linkEscapes } from "./entry-path.js";
import { ArchiveTooLargeError, CorruptArchiveError, UnsafeArchiveError } from "./errors.js";
import { closeDescriptor, createNewFileDescriptor, fillSmallNewFile, writeNewFile } from "./file-write.js";
import { md5Tap } from "./md5.js";
import { SmallFileThread } from "./small-file-thread.js";
import { readTar, type TarEntry } from "./tar-reader.js";

/**
 * gunzip output chunk: large chunks mean fewer thread-pool round trips and larger writes. The
 * readable side may hold a few of them, so decompression runs ahead while a file is written.
 */
const GUNZIP_CHUNK = 256 * 1024;
const GUNZIP_AHEAD = 1024 * 1024;
/** zlib passes stream options such as highWaterMark on to its Transform; @types/node omits them. */
const gunzipOptions: ZlibOptions & { highWaterMark: number } = { chunkSize: GUNZIP_CHUNK, highWaterMark: GUNZIP_AHEAD };

/** Files up to this size are read whole and written in the background (see BackgroundWrites). */
const SMALL_FILE = 256 * 1024;
const BACKGROUND_FILES = 64;
const BACKGROUND_BYTES = 8 * 1024 * 1024;
/**
 * After this many small files the rest go to a worker thread (see SmallFileThread): starting one
 * costs a few tens of milliseconds, which only an archive of many small files earns back.
 */
const THREAD_AFTER_FILES = 64;

/** Bounds on what one extraction may write; each unset bound is unlimited. */
export interface ExtractLimits {
  /** Most bytes of regular-file content, by the sizes the headers declare (checked before writing). */
  maxBytes?: number;
  /** Most entries: files, folders and links. */
  maxEntries?: number;
  /** Called before each regular file is written with its size; throws to refuse it (e.g. free space). */
  reserve?: (bytes: number) => Promise<void>;
}

/** How one extraction writes; none of these changes what it accepts or writes. */
export interface ExtractOptions {
  /**
   * Small files past the first 64 are written by a worker thread with synchronous calls (see
   * SmallFileThread). For a server: it takes the per-file system calls off the event loop that
   * serves every other request (a push of 100,000 small files, bench/transfer.mjs: server CPU
   * 87.6 s → 36.8–39.1 s, wall 83.0 s → 32.9–37.5 s). The CLI's pull leaves it off: not measured
   * apart from the machine's file-system noise there, so it keeps the path it had.
   */
  smallFileThread?: boolean;
}

export interface ExtractResult {
  /** Non-directory entries written: regular files, symbolic links and hard links. */
  files: number;
  /** Total size of the regular files written. */
  bytes: number;
  /** Lower-case hex MD5 of the compressed input, as sent in the `x-checksum-md5` trailer. */
  md5: string;
}

/**
 * Extracts gzip(tar) from `source` into `targetDir`, which must be absent or empty (so no link
 * placed there by someone else can redirect our writes). Streams with flat memory.
 *
 * Refuses, with UnsafeArchiveError naming the entry: absolute names, `..` components, symbolic
 * links resolving outside the folder (also through other links of the archive), hard links to
 * anything but an earlier regular file of the archive, device and FIFO entries, unknown entry
 * types, names given twice, and entries that would be written through a symbolic link.
 * Bad gzip or tar framing is a CorruptArchiveError; going over `limits` an ArchiveTooLargeError.
 * A name the file system cannot hold (ENAMETOOLONG) is an UnsafeArchiveError too.
 *
 * On error the folder keeps whatever was written so far: callers extract into a fresh temporary
 * folder, remove it on failure and only rename it into place on success (see the data store).
 */
export async function extractTarGz(source: Readable, targetDir: string, limits: ExtractLimits = {}, options: ExtractOptions = {}): Promise<ExtractResult> {
  await prepareTarget(targetDir);
  const tap = md5Tap();
  const gunzip = createGunzip(gunzipOptions);
  const writer = new TreeWriter(targetDir, limits, options);
  try {
    await pipeline(source, tap, gunzip, async (tar: AsyncIterable<Buffer>) => {
      await readTar(tar, (entry, body) => writer.write(entry, body));
    });
    await writer.settle();
  } catch (error) {
    // Nothing may still be writing when the caller removes the folder.
    await writer.quiesce();
    if (tap.bytes === 0 && isZlibError(error)) throw new CorruptArchiveError("the body is empty");
    if (isZlibError(error)) throw new CorruptArchiveError(`not valid gzip (${(error as Error).message})`, error);
    throw error;
  }
  if (tap.bytes === 0) throw new CorruptArchiveError("the body is empty");
  writer.checkLinks();
  return { files: writer.files, bytes: writer.bytes, md5: tap.digest() };
}

async function prepareTarget(targetDir: string): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  const present = await readdir(targetDir);
  if (present.length > 0) {
    // No path in the message: it may reach a client, and host paths are none of its business.
    throw new Error("cannot extract into a folder that is not empty; extract into a new folder");
  }
}

function isRegularFile(entry: TarEntry): boolean {
  return entry.type === "File" || entry.type === "OldFile" || entry.type === "ContiguousFile";
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

/** Writes entries under one root, remembering what it wrote to judge later entries. */
class TreeWriter {
  files = 0;
  bytes = 0;
  #entries = 0;
  readonly #root: string;
  readonly #limits: ExtractLimits;
  readonly #options: ExtractOptions;
  readonly #regularFiles = new Set<string>();
  readonly #links = new Map<string, string>();
  readonly #folders = new Set<string>();
  readonly #background = new BackgroundWrites(BACKGROUND_FILES, BACKGROUND_BYTES);
  #smallFiles = 0;
  #thread: SmallFileThread | undefined;

  constructor(root: string, limits: ExtractLimits, options: ExtractOptions) {
    this.#root = root;
    this.#limits = limits;
    this.#options = options;
  }

  async write(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    this.#entries += 1;
    const { maxEntries, maxBytes } = this.#limits;
    if (maxEntries !== undefined && this.#entries > maxEntries) {
      throw new ArchiveTooLargeError(`more than ${maxEntries} entries (files, folders and links)`);
    }
    if (maxBytes !== undefined && isRegularFile(entry) && this.bytes + entry.size > maxBytes) {
      throw new ArchiveTooLargeError(`its files hold more than ${maxBytes} bytes`);
    }
    try {
      await this.#writeEntry(entry, body);
    } catch (error) {
      throw nameTooLong(error, entry.path);
    }
  }

  async #writeEntry(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = entryComponents(entry.path);
    const name = parts.join("/");
    if (entry.type === "Directory") {
      if (parts.length === 0) return;
      this.#checkNewName(entry.path, parts, true);
      await mkdir(this.#absolute(name), { recursive: true });
      this.#rememberFolders(parts, true);
      return;
    }
    if (parts.length === 0) throw new UnsafeArchiveError(entry.path, "a non-folder entry cannot be the archive root");
    switch (entry.type) {
      case "File":
      case "OldFile":
      case "ContiguousFile":
        this.#checkNewName(entry.path, parts, false);
        if (entry.size > 0) await this.#limits.reserve?.(entry.size);
        await this.#prepareParent(parts);
        // Claimed before the content is written, so later entries are judged against it.
        this.#regularFiles.add(name);
        this.files += 1;
        this.bytes += entry.size;
        await this.#writeFile(name, entry, body);
        return;
      case "SymbolicLink":
        this.#checkNewName(entry.path, parts, false);
        if (entry.linkpath === "") throw new UnsafeArchiveError(entry.path, "symbolic link without a target");
        if (linkEscapes(parts, entry.linkpath, this.#links)) {
          throw new UnsafeArchiveError(entry.path, `symbolic link target "${entry.linkpath}" points outside the data`);
        }
        await this.#prepareParent(parts);
        await symlink(entry.linkpath, this.#absolute(name));
        this.#links.set(name, entry.linkpath);
        this.files += 1;
        return;
      case "Link": {
        this.#checkNewName(entry.path, parts, false);
        const target = this.#hardLinkTarget(entry);
        await this.#prepareParent(parts);
        // The target may still be being written in the background.
        await this.#background.settle();
        await this.#thread?.flush();
        await link(this.#absolute(target), this.#absolute(name));
        this.#regularFiles.add(name);
        this.files += 1;
        return;
      }
      case "CharacterDevice":
      case "BlockDevice":
      case "FIFO":
        throw new UnsafeArchiveError(entry.path, `special files (${entry.type}) are not allowed`);
      default:
        throw new UnsafeArchiveError(entry.path, `entry type "${entry.type}" is not supported`);
    }
  }

  /**
   * Called after the last entry: a link judged safe when written may have become an escape
   * through a link that came later in the archive (`a -> b/..` written before `b -> ..`).
   */
  checkLinks(): void {
    for (const [name, target] of this.#links) {
      if (linkEscapes(name.split("/"), target, this.#links)) {
        throw new UnsafeArchiveError(name, `symbolic link target "${target}" points outside the data through another link`);
      }
    }
  }

  #checkNewName(raw: string, parts: readonly string[], isFolder: boolean): void {
    for (let depth = 1; depth < parts.length; depth++) {
      const parent = parts.slice(0, depth).join("/");
      if (this.#links.has(parent)) {
        throw new UnsafeArchiveError(raw, `it would be written through the symbolic link "${parent}"`);
      }
      if (this.#regularFiles.has(parent)) {
        throw new UnsafeArchiveError(raw, `its parent "${parent}" is a file in this archive`);
      }
    }
    const name = parts.join("/");
    const taken = this.#regularFiles.has(name) || this.#links.has(name) || (!isFolder && this.#folders.has(name));
    if (taken) throw new UnsafeArchiveError(raw, "the name is used by an earlier entry");
  }

  #hardLinkTarget(entry: TarEntry): string {
    let target: string;
    try {
      target = entryComponents(entry.linkpath).join("/");
    } catch {
      throw new UnsafeArchiveError(entry.path, `hard link target "${entry.linkpath}" points outside the data`);
    }
    if (!this.#regularFiles.has(target)) {
      throw new UnsafeArchiveError(
        entry.path,
        `hard link target "${entry.linkpath}" is not a regular file given earlier in the archive`,
      );
    }
    return target;
  }

  /** Waits for the files still being written; throws the first write failure. */
  async settle(): Promise<void> {
    await this.#background.settle();
    try {
      await this.#thread?.flush();
    } catch (error) {
      throw nameTooLong(error, undefined);
    } finally {
      await this.#thread?.close();
    }
  }

  /** Waits for the files still being written, ignoring failures. */
  async quiesce(): Promise<void> {
    await this.#background.quiesce();
    await this.#thread?.flush().catch(() => undefined);
    await this.#thread?.close();
  }

  async #prepareParent(parts: readonly string[]): Promise<void> {
    if (parts.length > 1) {
      // Folders made by this extraction (into a folder that was empty) need no second mkdir.
      if (this.#folders.has(parts.slice(0, -1).join("/"))) return;
      await mkdir(dirname(this.#absolute(parts.join("/"))), { recursive: true });
      this.#rememberFolders(parts, false);
    }
  }

  #rememberFolders(parts: readonly string[], includingLast: boolean): void {
    const end = includingLast ? parts.length : parts.length - 1;
    for (let depth = 1; depth <= end; depth++) this.#folders.add(parts.slice(0, depth).join("/"));
  }

  async #writeFile(name: string, entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const file = { path: this.#absolute(name), mode: entry.mode, mtime: entry.mtime };
    if (entry.size > SMALL_FILE) {
      await writeNewFile(file, body);
      return;
    }
    // Copied out of the decompressed chunk, so only the file's own bytes are held meanwhile.
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(piece);
    const content = Buffer.concat(pieces);
    this.#smallFiles += 1;
    if (this.#thread || (this.#options.smallFileThread && this.#smallFiles > THREAD_AFTER_FILES)) {
      this.#thread ??= new SmallFileThread();
      await this.#thread.add(name, file, content);
      return;
    }
    // Created here, one at a time: concurrent creates in one folder contend for its lock in the
    // kernel (spinning, which cost more CPU than the overlap saved); the rest overlaps.
    const fd = await createNewFileDescriptor(file.path);
    try {
      await this.#background.add(content.length, () => fillSmallNewFile(fd, file, content));
    } catch (error) {
      await closeDescriptor(fd);
      throw error;
    }
  }

  #absolute(name: string): string {
    return join(this.#root, name);
  }
}

/** A name the file system refuses as too long is the archive's fault: said as such, with its entry. */
function nameTooLong(error: unknown, entryPath: string | undefined): unknown {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== "ENAMETOOLONG") return error;
  // A file written by the worker thread fails later than its entry was read: the error names it.
  const name = (error as { entryName?: string }).entryName ?? entryPath ?? "";
  return new UnsafeArchiveError(name, "the name is longer than the file system allows (255 bytes per name)");
}
