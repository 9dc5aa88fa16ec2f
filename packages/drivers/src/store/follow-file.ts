import type { FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Streams a growing file of the local store, opened already (so a missing file is the caller's
 * error, before any byte is sent): what is there, then what is appended, until `stillWriting()`
 * says the writer is done and nothing more arrived (or the reader goes away). Used for a live run
 * log when the reading process cannot reach the worker itself; the engine keeps the file growing.
 */
export function followOpenFile(handle: FileHandle, stillWriting: () => Promise<boolean>, pollMs = 250): Readable {
  const abort = new AbortController();
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= handle.close());
  const stream = Readable.from(
    (async function* () {
      try {
        let offset = 0;
        const buffer = Buffer.alloc(64 * 1024);
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          if (bytesRead > 0) {
            offset += bytesRead;
            yield Buffer.from(buffer.subarray(0, bytesRead));
            continue;
          }
          if (!(await stillWriting())) {
            // One last look: the writer may have flushed between our read and its end.
            const last = await handle.read(buffer, 0, buffer.length, offset);
            if (last.bytesRead > 0) yield Buffer.from(buffer.subarray(0, last.bytesRead));
            return;
          }
          await sleep(pollMs, undefined, { signal: abort.signal });
        }
      } finally {
        await close();
      }
    })(),
  );
  // A reader gone before the first read never runs the generator's `finally`: close here too.
  stream.on("close", () => {
    abort.abort();
    void close().catch(() => undefined);
  });
  return stream;
}
