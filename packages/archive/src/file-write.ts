import { close, fchmod, futimes, open as openFd, write } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

/** Pieces of a file body are gathered up to this size and written with one writev. */
export const WRITE_BATCH = 1024 * 1024;

export interface NewFile {
  path: string;
  /** Permission bits to set exactly (the umask does not apply); other bits are dropped. */
  mode: number;
  mtime: Date | undefined;
}

/**
 * Creates `file.path` (it must not exist: "wx" never opens an existing path, so no link can
 * redirect the write) and writes the body into it in batches of about WRITE_BATCH bytes. Mode and
 * mtime are set through the open handle, after the last write, so no path is looked up twice.
 */
export async function writeNewFile(file: NewFile, body: AsyncIterable<Buffer> | readonly Buffer[]): Promise<void> {
  await fillNewFile(await createNewFile(file.path), file, body);
}

/** Creates an empty file that must not exist yet (see writeNewFile), readable and writable by us only. */
export function createNewFile(path: string): Promise<FileHandle> {
  return open(path, "wx", 0o600);
}

/** Writes the body into a handle from createNewFile, sets mode and mtime, and closes it (also on failure). */
export async function fillNewFile(handle: FileHandle, file: NewFile, body: AsyncIterable<Buffer> | readonly Buffer[]): Promise<void> {
  try {
    let batch: Buffer[] = [];
    let batched = 0;
    for await (const piece of body) {
      if (piece.length === 0) continue;
      batch.push(piece);
      batched += piece.length;
      if (batched >= WRITE_BATCH) {
        await writeAll(handle, batch, batched);
        batch = [];
        batched = 0;
      }
    }
    if (batched > 0) await writeAll(handle, batch, batched);
    await handle.chmod(file.mode & 0o777);
    if (file.mtime !== undefined && !Number.isNaN(file.mtime.getTime())) await handle.utimes(file.mtime, file.mtime);
  } finally {
    await handle.close();
  }
}

/** writev, then plain writes for whatever a short write left over (rare on regular files). */
async function writeAll(handle: FileHandle, pieces: Buffer[], total: number): Promise<void> {
  const { bytesWritten } = pieces.length === 1 ? await handle.write(pieces[0] as Buffer) : await handle.writev(pieces);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(pieces, total);
  let offset = bytesWritten;
  while (offset < total) {
    const { bytesWritten: written } = await handle.write(rest, offset, total - offset);
    if (written === 0) throw new Error("a write to the extracted file made no progress");
    offset += written;
  }
}

/**
 * Small files, on a bare descriptor with the callback API: a FileHandle of fs/promises costs more
 * to make and close than writing a small file does, and per file that is most of extracting many
 * small files. Same rules as createNewFile and fillNewFile.
 */
export function createNewFileDescriptor(path: string): Promise<number> {
  return new Promise((resolve, reject) => openFd(path, "wx", 0o600, (error, fd) => (error ? reject(error) : resolve(fd))));
}

/** Closes a descriptor from createNewFileDescriptor that will not be filled. */
export function closeDescriptor(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}

/** Writes `content` into a descriptor from createNewFileDescriptor, sets mode and mtime, and closes it (also on failure). */
export function fillSmallNewFile(fd: number, file: NewFile, content: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error: Error | null) => close(fd, (closeError) => {
      if (error ?? closeError) reject(error ?? closeError);
      else resolve();
    });
    const setTimes = () => {
      if (file.mtime === undefined || Number.isNaN(file.mtime.getTime())) return finish(null);
      futimes(fd, file.mtime, file.mtime, finish);
    };
    const setMode = () => fchmod(fd, file.mode & 0o777, (error) => (error ? finish(error) : setTimes()));
    let offset = 0;
    const writeOn = (): void => {
      if (offset >= content.length) return setMode();
      write(fd, content, offset, content.length - offset, null, (error, written) => {
        if (error) return finish(error);
        if (written === 0) return finish(new Error("a write to the extracted file made no progress"));
        offset += written;
        writeOn();
      });
    };
    writeOn();
  });
}
