import { join, resolve } from "node:path";
import { Transform, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { md5Tap } from "@knitfab/archive";
import type { Context } from "../cli/context.js";
import { CommandError } from "../cli/errors.js";
import { describeHttpError, HttpError, readText, type RawResponse } from "../client/http.js";
import { expandHome } from "../profile/locate.js";
import { createProgress } from "./progress.js";
import { extractInto, saveArchive } from "./pull-destination.js";

/** `knit data pull`: downloads one Data, saved as tar.gz or extracted; loaded only by that command. */
export async function pull(context: Context, id: string, dest: string, extract: boolean, signal: AbortSignal): Promise<void> {
  const interrupted = () => new CommandError(`interrupted: the download of knit#id:${id} is cancelled; what it wrote is removed`, 130);
  const client = await context.client();
  let response: RawResponse;
  try {
    response = await client.send("GET", ["data", id], { signal });
  } catch (error) {
    if (signal.aborted) throw interrupted();
    throw error;
  }
  if (response.status !== 200) {
    throw describeHttpError(new HttpError(response.status, await readText(response.body)), { notFound: `knit#id:${id} is not found` });
  }
  const base = resolve(context.io.cwd, expandHome(dest, context.io.env.HOME ?? ""));
  const target = dest === "-" ? "stdout" : extract ? join(base, id) : join(base, `${id}.tar.gz`);
  const progress = createProgress({ stderr: context.io.stderr, isTTY: context.io.stderrIsTTY, logger: context.logger, label: `Downloading to ${target}:` });
  const length = Number(response.headers["content-length"] ?? 0);
  if (length > 0) progress.setTotal(length);
  const body = counted(response.body, (bytes) => progress.advance(bytes));
  let md5: string;
  let finished = false;
  try {
    if (extract) {
      md5 = (await extractInto(body, target)).md5;
    } else {
      const tap = pipeFailing(body, md5Tap());
      if (dest === "-") await pipeline(tap, context.io.stdout, { end: false });
      else await saveArchive(tap, target);
      md5 = tap.digest();
    }
    finished = true;
  } catch (error) {
    if (signal.aborted) throw interrupted();
    if (error instanceof CommandError) throw error;
    throw new CommandError(`download of knit#id:${id} failed: ${(error as Error).message}`);
  } finally {
    progress.stop(finished);
  }
  const expected = response.body.trailers["x-checksum-md5"];
  if (expected !== undefined && expected.toLowerCase() !== md5) {
    throw new CommandError("[WARN] checksum unmatch: Your Data is saved, but it may be corrupted");
  }
  if (dest !== "-") context.logger.info(`knit#id:${id} is saved to ${target}`);
}

/** The response body, counted as it passes. */
function counted(body: Readable, advance: (bytes: number) => void): Transform {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      advance(chunk.length);
      callback(null, chunk);
    },
  });
  return pipeFailing(body, counter);
}

/** `from.pipe(to)` that also fails `to` when `from` fails: a broken connection must fail the copy, where pipe alone would leave it waiting forever. */
function pipeFailing<T extends Writable>(from: Readable, to: T): T {
  from.once("error", (error) => to.destroy(error));
  return from.pipe(to);
}
