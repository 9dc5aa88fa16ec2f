import type { Readable, Writable } from "node:stream";

/** Everything a command may touch of its process, so tests can run commands with their own streams. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stderr is a terminal: decides between a progress bar and plain progress lines. */
  stderrIsTTY: boolean;
  /** Registers a handler for Ctrl+C; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Only on use: Node builds the stream when first asked, and for a file (`< /dev/null`) that loads
    // its whole promise-based file system API, a tenth of a `knit version`.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
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

/**
 * Makes the process end quietly, with exit code 0, as soon as its stdout reader went away, whatever
 * the command was doing (a download, a followed log): nobody reads the rest. Errors of stderr are
 * ignored: messages are not worth failing the work they report on, and cannot be shown anyway.
 */
export function exitQuietlyWhenReaderLeaves(): void {
  process.stdout.on("error", (error) => {
    if (isClosedPipe(error)) process.exit(0);
    process.stderr.write(`error: cannot write to stdout: ${error.message}\n`);
    process.exit(1);
  });
  process.stderr.on("error", () => undefined);
}
