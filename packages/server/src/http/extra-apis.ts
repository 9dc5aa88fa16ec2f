import type { IncomingHttpHeaders } from "node:http";
import { posix } from "node:path";
import replyFrom from "@fastify/reply-from";
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import { InputError } from "@knitfab/domain";
import type { ExtraApiEndpoint } from "../extra-apis-file.js";
import { withoutOwnCredentials } from "./auth.js";

/**
 * The methods forwarded (spec/api.md §6). CONNECT never reaches a Node request handler, and TRACE
 * is not forwarded: it would echo the caller's headers (cookies included) back to a page.
 */
const FORWARDED_METHODS: HTTPMethods[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/** Requests answered by an upstream: their answers go out as they came, without this server's JSON touches. */
const upstreamAnswers = new WeakSet<FastifyRequest>();

export function isUpstreamAnswer(request: FastifyRequest): boolean {
  return upstreamAnswers.has(request);
}

/**
 * The extra-API reverse proxy: each endpoint's path and everything under it are forwarded to its
 * upstream with method, headers, body and query string, streamed both ways. Bodies of any type pass
 * unread; the Host and Origin checks apply as to every request. An upstream that cannot be reached
 * is a 502 with a JSON message.
 */
export async function extraApiRoutes(
  app: FastifyInstance,
  endpoints: readonly ExtraApiEndpoint[],
  access: { accessControl: boolean } = { accessControl: false },
): Promise<void> {
  if (endpoints.length === 0) return;
  await app.register(async (scope) => {
    // Only here: every body is handed over as the raw stream, JSON included, so it reaches the
    // upstream byte for byte (the API's own routes keep their parsers).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    await scope.register(replyFrom, {
      // an upstream's 503 is its answer to pass on, not a reason to send the request again
      retryMethods: [],
      destroyAgent: true,
      // reply-from turns certificate checks off (its `tls` default); undici's `connect` wins over it.
      // No time limits, as the reference has none: a long download or a streamed log may idle.
      undici: { connect: { rejectUnauthorized: true }, headersTimeout: 0, bodyTimeout: 0 },
    });
    for (const endpoint of endpoints) {
      const handler = forward(endpoint, access.accessControl);
      const options = { schema: { hide: true }, config: { body: "passThrough" as const }, exposeHeadRoute: false };
      scope.route({ method: FORWARDED_METHODS, url: endpoint.path, ...options, handler });
      scope.route({ method: FORWARDED_METHODS, url: `${endpoint.path}/*`, ...options, handler });
    }
  });
}

/**
 * With access control on, the caller's token (Authorization, the console's session cookie) was for
 * this server: it is not passed on, unless the endpoint asks for the Authorization header.
 */
function forward(endpoint: ExtraApiEndpoint, accessControl: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = (request.raw.url ?? "/").split("?")[0] ?? "/";
    const target = upstreamUrl(endpoint, path);
    return reply.from(target, {
      ...(accessControl
        ? { rewriteRequestHeaders: (_request: unknown, headers: IncomingHttpHeaders) => withoutOwnCredentials(headers, endpoint.forwardAuthorization === true) }
        : {}),
      rewriteHeaders(headers) {
        upstreamAnswers.add(request);
        return headers;
      },
      onError(errorReply, { error }) {
        request.log.warn({ err: error, upstream: endpoint.proxyTo.origin }, "extra API upstream failed");
        void errorReply.status(502).send({
          message: `bad gateway\nthe extra API at ${endpoint.path} does not answer now; try again later, or ask the administrator to check its upstream`,
        });
      },
    });
  };
}

/**
 * Where a request under an extra API goes, as the reference rewrites it (spec/api.md §6): the
 * request path gets a trailing slash (the reference adds one to every path before routing), then
 * what follows `path/` is joined onto `proxy_to` as Go's URL.JoinPath joins (clean, trailing slash
 * kept). So `/my/api` goes to `proxy_to/` and `/my/api/sub` to `proxy_to/sub/`. The query string is
 * the request's own, added by reply-from. `.` and `..` segments are refused: joined, they would
 * reach paths of the upstream outside `proxy_to`.
 */
export function upstreamUrl(endpoint: ExtraApiEndpoint, requestPath: string): string {
  const path = requestPath.endsWith("/") ? requestPath : `${requestPath}/`;
  const rest = path.slice(endpoint.path.length + 1);
  if (rest.split("/").some((segment) => isDotSegment(segment))) {
    throw new InputError("bad request", { advice: "a path under an extra API may not contain . or .. segments; send it resolved" });
  }
  const base = endpoint.proxyTo.pathname;
  const joined = posix.join(base, rest === "" ? "/" : rest);
  return `${endpoint.proxyTo.origin}${joined.endsWith("/") || !rest.endsWith("/") ? joined : `${joined}/`}`;
}

function isDotSegment(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return false;
  }
  return decoded === "." || decoded === "..";
}
