import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, MEDIA_TYPES, type RawBody } from "@knitfab/api";
import type { TSchema } from "@sinclair/typebox";

/**
 * The app as routes see it: request and reply types come from the routes' TypeBox schemas (all
 * taken from @knitfab/api), so handlers read params, queries and bodies, and return bodies, typed.
 */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** Every error of every route: `{"message"}` (and `planId` for an equivalent plan). */
const ERRORS = { "4xx": ErrorBody, "5xx": ErrorBody } as const;

/** The responses of a JSON route: its success body and the error bodies. */
export function jsonResponses<T extends TSchema>(success: T) {
  return { 200: success, ...ERRORS };
}

/** Bodies that are not JSON: plain JSON Schema (no TypeBox kind), documented but never serialised or checked here. */
const RAW_SUCCESS = {
  "tar.gz": binary("the data as a gzip'd tar; the MD5 of the compressed bytes in the x-checksum-md5 trailer", MEDIA_TYPES.tarGz),
  log: binary("the log's raw bytes", MEDIA_TYPES.log),
  jwt: binary("a compact JWS naming the data to fill", MEDIA_TYPES.jwt),
  // `type: "null"` is how @fastify/swagger documents a response without content
  empty: { type: "null", description: "no body" },
} as const;

function binary(description: string, mediaType: string) {
  return { description, content: { [mediaType]: { schema: { type: "string", format: "binary" } } } };
}

/** The responses of a route whose success body is not JSON: bytes of a media type, or nothing. */
export function rawResponses(body: RawBody) {
  return { 200: RAW_SUCCESS[body], ...ERRORS };
}

/** The responses of a route that answers 204 without a body. */
export function noContentResponses() {
  return { 204: RAW_SUCCESS.empty, ...ERRORS };
}
