/**
 * @kubernetes/client-node's Pod log API (`Log.log`) pipes the response body into a stream of ours,
 * and a pipe passes on neither an error of its source nor a close before the end: a follow cut by
 * the API server going away (a restart) would leave our stream open forever. The nurse, whose only
 * work that read was, then had nothing left to run and Node ended it with exit code 13 (an
 * unsettled top-level await), failing the run with `(container nurse) Error`.
 */
import type { PassThrough, Readable } from "node:stream";

export interface BreakWatch {
  /** Why the source broke off (an error, or a close before its end); undefined while it did not. */
  broken(): Error | undefined;
}

/**
 * Ends `stream` (what came before stays readable) as soon as the source piped into it errors or
 * closes before its end, and keeps why.
 */
export function endWhenSourceBreaks(stream: PassThrough): BreakWatch {
  let reason: Error | undefined;
  const end = () => {
    if (!stream.writableEnded) stream.end();
  };
  stream.on("pipe", (source: Readable) => {
    source.once("error", (error: Error) => {
      reason ??= error;
      source.unpipe(stream);
      end();
    });
    source.once("close", () => {
      if (source.readableEnded) return;
      reason ??= new Error("the log stream was cut before its end");
      source.unpipe(stream);
      end();
    });
  });
  return { broken: () => reason };
}
