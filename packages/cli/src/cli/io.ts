import { writeSync } from "node:fs";
import type { Readable, Writable } from "node:stream";

/** Everything a command may touch of its process, so tests can run commands with their own streams. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  /** Writes text to stdout and resolves once it was accepted (so exits never truncate output). */
  print(text: string | Uint8Array): Promise<void>;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stderr is a terminal: decides between a progress bar and plain progress lines. */
  stderrIsTTY: boolean;
  /** Registers a handler for Ctrl+C; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

/**
 * The process's own streams, each made only when first used: Node builds process.stdout and
 * process.stderr on first access, and that loads its whole stream library, a tenth of the CPU of a
 * `knit version`. A command that only prints text (`print`) writes it straight to file descriptor 1.
 * Whatever touches a stream gets the handlers of exitQuietlyWhenReaderLeaves with it.
 */
export function processIo(): Io {
  let stdoutMade = false;
  let stderrMade = false;
  const stdout = (): Writable => {
    if (!stdoutMade) {
      stdoutMade = true;
      process.stdout.on("error", (error) => {
        if (isClosedPipe(error)) process.exit(0);
        stderr().write(`error: cannot write to stdout: ${error.message}\n`);
        process.exit(1);
      });
    }
    return process.stdout;
  };
  const stderr = (): Writable => {
    if (!stderrMade) {
      stderrMade = true;
      // Errors of stderr are ignored: messages are not worth failing the work they report on.
      process.stderr.on("error", () => undefined);
    }
    return process.stderr;
  };
  return {
    get stdout() {
      return stdout();
    },
    get stderr() {
      return stderr();
    },
    print(text) {
      // Once the stream exists it may hold queued output, which must stay ahead of this text.
      if (stdoutMade) return write(stdout(), text);
      const rest = printSync(text);
      return rest === undefined ? Promise.resolve() : write(stdout(), rest);
    },
    // Only on use: Node builds the stream when first asked, and for a file (`< /dev/null`) that loads
    // its whole promise-based file system API, a tenth of a `knit version`.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    get stderrIsTTY() {
      stderr();
      return Boolean(process.stderr.isTTY);
    },
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
}

/**
 * Writes to file descriptor 1 synchronously, as Node's own stdout does on Linux for files, pipes and
 * terminals. Returns what is left when the descriptor would block (a non-blocking pipe shared with
 * another process), for the stream to write when it can. A reader that went away ends the process
 * quietly (see exitQuietlyWhenReaderLeaves); any other error ends it as the stream's handler would.
 */
function printSync(text: string | Uint8Array): Uint8Array | undefined {
  let bytes = typeof text === "string" ? Buffer.from(text) : text;
  while (bytes.length > 0) {
    let written: number;
    try {
      written = writeSync(1, bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") return bytes;
      if (isClosedPipe(error)) process.exit(0);
      process.stderr.write(`error: cannot write to stdout: ${(error as Error).message}\n`);
      process.exit(1);
    }
    bytes = bytes.subarray(written);
  }
  return undefined;
}

/** Writes text and resolves once the stream has accepted it (so exits never truncate output). */
export function write(stream: Writable, text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Whether the reader of `stream` went away (`knit run show --log -f RUN | head`). For a command line
 * tool that is a normal end, not an error: the reference dies quietly of SIGPIPE there.
 */
export function readerLeft(stream: Writable): boolean {
  return isClosedPipe(stream.errored);
}

function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null | undefined)?.code === "EPIPE";
}
