import { PassThrough, Readable, Writable } from "node:stream";
import { write, type Io } from "../cli/io.js";

/** An Io whose stdout/stderr are collected, for running `main` in-process in tests. */
export interface CapturedIo extends Io {
  out(): string;
  outBytes(): Buffer;
  err(): string;
}

export function captureIo(options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: Readable | Buffer | string }): CapturedIo {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      into.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  });
  const stdin = options.stdin instanceof Readable
    ? options.stdin
    : Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const io: CapturedIo = {
    stdout: sink(out),
    stderr: sink(err),
    // Through whatever stream stdout is at the time: a test may put its own there.
    print: (text) => write(io.stdout, text),
    stdin: stdin ?? new PassThrough(),
    env: options.env,
    cwd: options.cwd,
    stderrIsTTY: false,
    onInterrupt: () => () => undefined,
    out: () => Buffer.concat(out).toString("utf8"),
    outBytes: () => Buffer.concat(out),
    err: () => Buffer.concat(err).toString("utf8"),
  };
  return io;
}
