import { randomUUID } from "node:crypto";
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { InputError, InternalError, UnauthorizedError, KnitError, badRequest } from "@knitfab/domain";
import { createRootRun, endImport, findSigningKey, loadData, signingKeyValidFor } from "@knitfab/db";
import { DataDetail } from "@knitfab/api";
import type { AppOptions } from "../app-options.js";
import { dataDetailJson } from "@knitfab/db";
import { jsonResponses, rawResponses, type ApiApp } from "../route-schemas.js";
import { downloadRoute, uploadRoute } from "./data-transfer-routes.js";
import { runLogRoute } from "./run-log-route.js";

const IMPORT_DEADLINE_SECONDS = 30 * 60;
/** How long import/end waits for the importer's volume to be ready, as the reference (3 s). */
const VOLUME_READY_WAIT_MS = 3_000;

interface ImportClaims extends JWTPayload {
  "knitfab/knitId": string;
  "knitfab/runId": string;
}

/**
 * The backend API (spec/api.md §4): data transfer, run logs and custom import under `/api/backend`.
 * In one process the frontend serves transfers itself; these routes are for split deployments and
 * for importers.
 */
export async function backendRoutes(app: ApiApp, options: AppOptions): Promise<void> {
  const { database, store } = options;

  uploadRoute(app, "/api/backend/data/", "backend", options);
  downloadRoute(app, "/api/backend/data/:knitId/", "backend", options);
  runLogRoute(app, "/api/backend/runs/:runId/log/", "backend", options);

  app.post(
    "/api/backend/data/import/begin/",
    { schema: { tags: ["backend"], summary: "Begin a custom import: returns a JWT naming the data to fill (application/jwt)", response: rawResponses("jwt") } },
    async (_request, reply) => {
      const root = await createRootRun(database, "knit#imported", IMPORT_DEADLINE_SECONDS);
      // The importer is a process of the server's user; the token names the volume, not a host path
      // (the volume the store prepared is the store's and the importer's business, never the API's).
      await store.prepare(root.knitId, "importer");
      const key = await signingKeyValidFor(database, IMPORT_DEADLINE_SECONDS);
      const token = await new SignJWT({ "knitfab/knitId": root.knitId, "knitfab/runId": root.runId })
        .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
        .setJti(randomUUID())
        .setSubject(store.referenceOf(root.knitId))
        .sign(key.secret);
      return reply.header("content-type", "application/jwt").send(token);
    },
  );

  // The token arrives as the raw body (application/jwt), read here rather than by a JSON parser.
  app.post(
    "/api/backend/data/import/end/",
    {
      schema: { tags: ["backend"], summary: "End a custom import with the JWT from begin (Content-Type: application/jwt)", response: jsonResponses(DataDetail) },
      config: { body: { types: ["application/jwt"], exact: true, wrongType: { reason: "bad request", advice: '"Content-Type" should be "application/jwt"' } } },
    },
    async (request) => {
      const token = (await readText(request.body)).trim();
      const claims = await verifyImportToken(options, token);
      const knitId = claims["knitfab/knitId"];
      // The volume the token names is resolved through the store; it must be this import's Data.
      if (store.knitIdOfReference(claims.sub ?? "") !== knitId) {
        throw new UnauthorizedError("invalid token", { cause: new Error(`the token's subject does not name the volume of data ${knitId}`) });
      }
      const [before] = await loadData(database.db, [knitId]);
      if (!before) throw new InternalError("unexpected error", { cause: new Error(`data ${knitId} of this import is missing`) });
      // The volume must be there and mountable (a claim Bound), or sealing it could not start.
      if (!(await store.volumeReady(knitId, VOLUME_READY_WAIT_MS))) {
        throw badRequest(`retry after that PVC ${claims.sub ?? ""} is bound`, new Error(`the volume of data ${knitId} is missing or not ready`));
      }
      await endImport(database, claims["knitfab/runId"], knitId);
      const [data] = await loadData(database.db, [knitId]);
      return dataDetailJson(data!);
    },
  );
}

async function verifyImportToken({ database }: AppOptions, token: string): Promise<ImportClaims> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch (error) {
    throw new UnauthorizedError("invalid token", { cause: error });
  }
  const key = kid ? await findSigningKey(database.db, kid) : undefined;
  if (!key) throw new UnauthorizedError("invalid token", { cause: new Error("the token's signing key is unknown or expired") });
  try {
    const { payload } = await jwtVerify<ImportClaims>(token, key.secret, { algorithms: ["HS256"] });
    if (typeof payload["knitfab/knitId"] !== "string" || typeof payload["knitfab/runId"] !== "string") {
      throw new InputError("invalid token", { cause: new Error("knitfab claims are missing") });
    }
    return payload;
  } catch (error) {
    if (error instanceof KnitError) throw error;
    throw new UnauthorizedError("invalid token", { cause: error });
  }
}

async function readText(body: unknown): Promise<string> {
  if (typeof body === "string") return body;
  if (Buffer.isBuffer(body)) return body.toString("utf8");
  if (body && typeof (body as AsyncIterable<Buffer>)[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 64 * 1024) throw badRequest("the token is too large");
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString("utf8");
  }
  return "";
}
