import { DataDetail, KnitIdParams } from "@knitfab/api";
import { beginRead, createRootRun, dataDetailJson, endTransfer, finishUpload, loadData, renewRootRun } from "@knitfab/db";
import { InternalError, NotFoundError } from "@knitfab/domain";
import type { AppOptions } from "../app-options.js";
import type { BodyTypes } from "../request-body.js";
import { jsonResponses, rawResponses, type ApiApp } from "../route-schemas.js";
import { receiveTarGz, sendTarGz, uploadStream } from "./transfer.js";

/**
 * Upload and download of Data, served twice: by the public API (`/api/data/`) and by the backend
 * (`/api/backend/data/`), under the OpenAPI tag given.
 */

const UPLOAD_DEADLINE_SECONDS = 30;

/** What the knit CLI sends (`application/tar+gzip`), or plain bytes; never a form. */
const UPLOAD_BODY: BodyTypes = {
  types: ["application/tar+gzip", "application/octet-stream"],
  wrongType: {
    reason: "bad request",
    advice: `send the data as a gzip'd tar with "Content-Type: application/tar+gzip" (or application/octet-stream), as "knit data push" does`,
  },
};

/** Streams an upload into a new Data of a `knit#uploaded` run; on any failure nothing stays visible. */
export function uploadRoute(app: ApiApp, url: string, tag: string, { database, store, uploads }: AppOptions): void {
  const policy = { allowUnchecked: uploads?.allowUnchecked ?? false };
  app.post(
    url,
    {
      schema: {
        tags: [tag],
        summary: "Upload new data: a gzip'd tar, chunked, with the MD5 of the compressed bytes in the x-checksum-md5 trailer",
        consumes: ["application/tar+gzip"],
        response: jsonResponses(DataDetail),
      },
      config: { body: UPLOAD_BODY },
    },
    async (request, reply) => {
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
      if (!data) throw new InternalError("unexpected error", { cause: new Error(`data ${root.knitId} of this upload is missing`) });
      return dataDetailJson(data);
    },
  );
}

/** Streams a Data's content as tar.gz; the read is recorded so the run cannot be deleted under it. */
export function downloadRoute(app: ApiApp, url: string, tag: string, { database, store }: AppOptions): void {
  app.get(
    url,
    { schema: { tags: [tag], summary: "Download data as a gzip'd tar (x-checksum-md5 trailer)", params: KnitIdParams, response: rawResponses("tar.gz") } },
    async (request, reply) => {
      const [data] = await loadData(database.db, [request.params.knitId]);
      if (!data || !(await store.exists(data.knitId))) throw new NotFoundError();
      const agent = await beginRead(database, data.knitId);
      try {
        await sendTarGz(store, data.knitId, reply);
      } finally {
        await endTransfer(database, agent);
      }
    },
  );
}
