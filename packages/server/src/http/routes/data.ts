import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  INPUT_LIMITS,
  InputError,
  NotFoundError,
  checkCount,
  checkText,
  badRequest,
  interpretDataTagQuery,
  isSystemKey,
  tagFromJson,
  type Tag,
} from "@knitfab/domain";
import { beginRead, changeDataTags, createRootRun, endTransfer, findKnitIds, finishUpload, loadData, renewRootRun } from "@knitfab/db";
import type { AppOptions } from "../app.js";
import { dataDetailJson } from "@knitfab/db";
import { DataFindQuery, ErrorBody, IdParams, TagChangeBody } from "../schemas.js";
import { asList, parseQueryTags, parseTimeWindow } from "./query.js";
import { JSON_BODY, type BodyTypes } from "../request-body.js";
import { receiveTarGz, sendTarGz, uploadStream } from "./transfer.js";

const UPLOAD_DEADLINE_SECONDS = 30;

export async function dataRoutes(app: FastifyInstance, options: AppOptions): Promise<void> {
  const { database } = options;

  app.get(
    "/api/data/",
    { schema: { tags: ["data"], summary: "Find data by tags and time", querystring: DataFindQuery, response: { 400: ErrorBody } } },
    async (request) => {
      const query = request.query as { tag?: string | string[]; since?: string; duration?: string };
      const tags = parseQueryTags(asList(query.tag));
      const window = parseTimeWindow(query.since, query.duration);
      const interpreted = interpretDataTagQuery(tags);
      if (interpreted.kind === "empty") return [];
      const ids = await findKnitIds(database.db, { ...interpreted, ...window });
      return (await loadData(database.db, ids)).map(dataDetailJson);
    },
  );

  app.post("/api/data/", { schema: uploadSchema, config: { body: UPLOAD_BODY } }, uploadHandler(options));
  app.get("/api/data/:knitId/", { schema: downloadSchema }, downloadHandler(options));

  app.put(
    "/api/data/:knitId/",
    {
      schema: { tags: ["data"], summary: "Change the tags of data", params: IdParams("knitId"), body: TagChangeBody },
      // The reference reads the body as JSON whatever the Content-Type says (`curl -X PUT -d` sends a
      // form type): a PUT cannot come from another origin without a preflight, so that stays safe.
      config: { invalidBody: { reason: "format error" }, body: { ...JSON_BODY, whateverTheType: true } },
    },
    async (request) => {
      const { knitId } = request.params as { knitId: string };
      const body = (request.body ?? {}) as TagChangeBody;
      const parse = (field: string, values: unknown[] | null | undefined): Tag[] => {
        try {
          return checkCount(`tags in "${field}"`, values ?? [], INPUT_LIMITS.tagsPerList).map(tagFromJson);
        } catch (error) {
          throw new InputError("format error", { cause: error });
        }
      };
      const add = parse("add", body.add);
      const remove = parse("remove", body.remove);
      const removeKey = checkCount('keys in "remove_key"', body.remove_key ?? [], INPUT_LIMITS.tagsPerList).map((key) =>
        checkText("a key in remove_key", key.trim(), INPUT_LIMITS.tagKeyBytes),
      );
      const system = [...add.map((tag) => tag.key), ...remove.map((tag) => tag.key), ...removeKey].find(isSystemKey);
      if (system) throw new InputError("format error", { advice: `system tag "${system}" cannot be changed`, cause: new Error(`key "${system}" is reserved`) });
      if (removeKey.some((key) => key === "")) throw badRequest("remove_key must not contain an empty key");
      await changeDataTags(database, knitId, { add, remove, removeKey });
      const [data] = await loadData(database.db, [knitId]);
      if (!data) throw new NotFoundError();
      return dataDetailJson(data);
    },
  );
}

/** What the knit CLI sends (`application/tar+gzip`), or plain bytes; never a form. */
export const UPLOAD_BODY: BodyTypes = {
  types: ["application/tar+gzip", "application/octet-stream"],
  wrongType: {
    reason: "bad request",
    advice: `send the data as a gzip'd tar with "Content-Type: application/tar+gzip" (or application/octet-stream), as "knit data push" does`,
  },
};

export const uploadSchema = {
  tags: ["data"],
  summary: "Upload new data: a gzip'd tar, chunked, with the MD5 of the compressed bytes in the x-checksum-md5 trailer",
  consumes: ["application/tar+gzip"],
};

/** Streams an upload into a new Data of a `knit#uploaded` run; on any failure nothing stays visible. */
export function uploadHandler({ database, store, uploads }: AppOptions) {
  const policy = { allowUnchecked: uploads?.allowUnchecked ?? false };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = uploadStream(request);
    const root = await createRootRun(database, "knit#uploaded", UPLOAD_DEADLINE_SECONDS);
    // A long upload keeps its run alive; if this process dies, the deadline lapses and the run is discarded.
    const keepAlive = setInterval(() => void renewRootRun(database.db, root, UPLOAD_DEADLINE_SECONDS).catch(() => {}), 10_000);
    try {
      const received = await receiveTarGz(store, root.knitId, body, request, reply, policy);
      clearInterval(keepAlive);
      await finishUpload(database, root, true, received.bytes);
    } catch (error) {
      clearInterval(keepAlive);
      await finishUpload(database, root, false).catch((finishError: unknown) => request.log.error({ err: finishError }, "could not discard the upload run"));
      await store.remove(root.knitId).catch(() => {});
      throw error;
    }
    const [data] = await loadData(database.db, [root.knitId]);
    return reply.send(dataDetailJson(data!));
  };
}

export const downloadSchema = { tags: ["data"], summary: "Download data as a gzip'd tar (x-checksum-md5 trailer)", params: IdParams("knitId") };

/** Streams a Data's content as tar.gz; the read is recorded so the run cannot be deleted under it. */
export function downloadHandler({ database, store }: AppOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { knitId } = request.params as { knitId: string };
    const [data] = await loadData(database.db, [knitId]);
    if (!data || !(await store.exists(data.knitId))) throw new NotFoundError();
    const agent = await beginRead(database, data.knitId);
    try {
      await sendTarGz(store, data.knitId, reply);
    } finally {
      await endTransfer(database, agent);
    }
  };
}
