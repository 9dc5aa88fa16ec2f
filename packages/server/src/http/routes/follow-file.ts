import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Streams a growing file: what is there, then what is appended, until `stillWriting()` says the
 * writer is done and nothing more arrived (or the reader goes away). Used for a live run log when
 * this process cannot reach the worker itself; the engine keeps the file growing as the worker writes.
 */
export function followFile(path: string, stillWriting: () => Promise<boolean>, pollMs = 250): Readable {
  const abort = new AbortController();
  const stream = Readable.from(
    (async function* () {
      const handle = await open(path, "r");
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
        await handle.close();
      }
    })(),
  );
  stream.on("close", () => abort.abort());
  return stream;
}
