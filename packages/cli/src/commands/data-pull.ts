import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { extractTarGz, md5Tap } from "@knitfab/drivers/archive/index";
import { defineCommand, type Runtime } from "../cli/define.js";
import { CommandError, UsageError } from "../cli/errors.js";
import { describeHttpError, HttpError, readText } from "../client/http.js";
import { expandHome } from "../profile/locate.js";
import { createProgress } from "../transfer/progress.js";

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
      const id = knitId as string;
      const client = await context.client();
      const response = await client.send("GET", ["data", id]);
      if (response.status !== 200) {
        throw describeHttpError(new HttpError(response.status, await readText(response.body)), { notFound: `knit#id:${id} is not found` });
      }
      const home = context.io.env.HOME ?? "";
      const base = resolve(context.io.cwd, expandHome(dest, home));
      const target = dest === "-" ? "stdout" : options.extract ? join(base, id) : join(base, `${id}.tar.gz`);
      const progress = createProgress({ stderr: context.io.stderr, isTTY: context.io.stderrIsTTY, logger: context.logger, label: `Downloading to ${target}:` });
      const length = Number(response.headers["content-length"] ?? 0);
      if (length > 0) progress.setTotal(length);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          progress.advance(chunk.length);
          callback(null, chunk);
        },
      });
      let md5: string;
      let finished = false;
      try {
        if (options.extract) {
          const result = await extractTarGz(response.body.pipe(counter), target);
          md5 = result.md5;
        } else {
          const tap = md5Tap();
          if (dest === "-") {
            await pipeline(response.body, counter, tap, async (chunks: AsyncIterable<Buffer>) => {
              for await (const chunk of chunks) {
                if (!context.io.stdout.write(chunk)) await new Promise((r) => context.io.stdout.once("drain", r));
              }
            });
          } else {
            await mkdir(base, { recursive: true });
            await pipeline(response.body, counter, tap, createWriteStream(target));
          }
          md5 = tap.digest();
        }
        finished = true;
      } catch (error) {
        if (options.extract) await rm(target, { recursive: true, force: true }).catch(() => undefined);
        throw new CommandError(`download of knit#id:${id} failed: ${(error as Error).message}`);
      } finally {
        progress.stop(finished);
      }
      const expected = response.body.trailers["x-checksum-md5"];
      if (expected !== undefined && expected.toLowerCase() !== md5) {
        throw new CommandError("[WARN] checksum unmatch: Your Data is saved, but it may be corrupted");
      }
      if (dest !== "-") context.logger.info(`knit#id:${id} is saved to ${target}`);
    },
  });
}
