import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { Context } from "../cli/context.js";
import { CommandError } from "../cli/errors.js";
import { printJsonBare } from "../cli/output.js";
import { isSystemTag, type Tag } from "../cli/values.js";
import { changeDataTags } from "../client/api.js";
import { describeHttpError, HttpError, readText } from "../client/http.js";
import type { DataDetail } from "@knitfab/api";
import { createProgress } from "./progress.js";
import { estimateSize } from "./size.js";
import { uploadBody } from "./upload-body.js";

export interface PushOptions {
  tag: Tag[];
  name?: boolean;
  dereference?: boolean;
}

/** `knit data push`: uploads each source folder as new Data and tags it; loaded only by that command. */
export async function pushAll(context: Context, sources: string[], options: PushOptions, signal: AbortSignal): Promise<void> {
  const env = await context.knitEnv();
  const client = await context.client();
  for (const [index, source] of sources.entries()) {
    const counter = `[${index + 1}/${sources.length}]`;
    const path = resolve(context.io.cwd, source);
    try {
      const info = await stat(path);
      if (!info.isDirectory()) throw new Error(`not a directory (push uploads directories; put the file in one)`);
    } catch (error) {
      context.logger.info(`${(error as Error).message}: ${source} -- skipped`);
      continue;
    }
    context.logger.info(`[${counter}] sending... ${source}`);
    const registered = await upload(context, path, source, options.dereference ?? false, signal);
    context.logger.info(`registered: ${source} -> knit#id:${registered.knitId}`);
    const tags = uniqueTags([
      ...options.tag,
      ...env.tags.filter((t) => !isSystemTag(t)),
      ...(options.name ? [{ key: "name", value: basename(path) }] : []),
    ]);
    let detail = registered;
    if (tags.length > 0) {
      context.logger.info("tagging...");
      try {
        detail = await changeDataTags(client, registered.knitId, { add: tags });
      } catch (error) {
        context.logger.info(`[${counter}] [WARN] partially done: ${source} -> knit#id:${registered.knitId} (but not Tagged)`);
        await printJsonBare(context, registered, 4);
        const described = describeHttpError(error);
        throw new CommandError(`the Data knit#id:${registered.knitId} is registered but tagging it failed; tag it with 'knit data tag --add ... ${registered.knitId}'\n${described.message}`);
      }
    }
    context.logger.info(`[${counter}] [OK] done: ${source} -> knit#id:${registered.knitId}`);
    await printJsonBare(context, detail, 4);
  }
}

function uniqueTags(tags: Tag[]): Tag[] {
  const seen = new Map<string, Tag>();
  for (const t of tags) seen.set(`${t.key}\u0000${t.value}`, t);
  return [...seen.values()];
}

/** Streams gzip(tar) of the directory with an MD5 trailer; Ctrl+C aborts the request. */
async function upload(context: Context, path: string, source: string, dereference: boolean, signal: AbortSignal): Promise<DataDetail> {
  const client = await context.client();
  const progress = createProgress({ stderr: context.io.stderr, isTTY: context.io.stderrIsTTY, logger: context.logger, label: source });
  void estimateSize(path, dereference).then((total) => progress.setTotal(total));
  // the shared packer: gzip level 6 on two threads, progress counted in uncompressed tar bytes
  const { body, md5 } = uploadBody(path, dereference, (bytes) => progress.advance(bytes));

  const interruptedMessage = `interrupted: the upload of ${source} is cancelled and no Data is registered for it`;
  if (signal.aborted) throw new CommandError(interruptedMessage, 130);
  const waiting = setTimeout(() => context.logger.info("waiting server..."), 1000);
  waiting.unref();
  let finished = false;
  try {
    const response = await client.send("POST", ["data"], {
      headers: { "Content-Type": "application/tar+gzip", Trailer: "x-checksum-md5" },
      body,
      trailers: () => ({ "x-checksum-md5": md5() }),
      signal,
    });
    const text = await readText(response.body);
    if (response.status < 200 || response.status > 299) {
      throw describeHttpError(new HttpError(response.status, text), { badRequest: `the server refused the upload of ${source}`, conflict: `the server refused the upload of ${source}` });
    }
    finished = true;
    return JSON.parse(text) as DataDetail;
  } catch (error) {
    body.destroy();
    if (signal.aborted) throw new CommandError(interruptedMessage, 130);
    throw error;
  } finally {
    clearTimeout(waiting);
    progress.stop(finished);
  }
}
