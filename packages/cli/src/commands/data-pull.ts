import { join, resolve } from "node:path";
import { Transform, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { md5Tap } from "@knitfab/drivers/archive/index";
import type { Context } from "../cli/context.js";
import { defineCommand, type Runtime } from "../cli/define.js";
import { CommandError, UsageError } from "../cli/errors.js";
import { describeHttpError, HttpError, readText, type RawResponse } from "../client/http.js";
import { expandHome } from "../profile/locate.js";
import { createProgress } from "../transfer/progress.js";
import { extractInto, saveArchive } from "../transfer/pull-destination.js";

interface Options {
  extract?: boolean;
}

export function registerDataPull(group: Command, runtime: Runtime): void {
  defineCommand<Options>(group, runtime, {
    name: "pull <KNIT_ID> [DEST]",
    summary: "download Data as tar.gz, or extract it with -x",
    description:
      "Saves the Data as DEST/KNIT_ID.tar.gz (DEST defaults to '.'; '-' writes the archive to stdout), " +
      "or with -x extracts its files into DEST/KNIT_ID/. The download is checked against the server's MD5.",
    examples: ["knit data pull -x 0a1b2c3d-...-9f ./data", "knit data pull 0a1b2c3d-...-9f - | tar -tz"],
    configure: (c) => c.option("-x, --extract", "extract the files instead of saving the archive"),
    run: async (context, [knitId, dest = "."], options) => {
      if (options.extract && dest === "-") throw new UsageError("-x cannot write to stdout ('-'): give a destination directory");
      // Ctrl+C aborts the download, so the half-written files are taken back before exiting.
      const interrupt = new AbortController();
      const removeInterrupt = context.io.onInterrupt(() => interrupt.abort());
      try {
        await pull(context, knitId as string, dest, options.extract ?? false, interrupt.signal);
      } finally {
        removeInterrupt();
      }
    },
  });
}

async function pull(context: Context, id: string, dest: string, extract: boolean, signal: AbortSignal): Promise<void> {
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
