import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { UnauthorizedError } from "@knitfab/domain";
import type { TokenVerifier } from "../admin/tokens.js";
import { CONSOLE_ROUTE } from "./routes/console.js";
import { noContentResponses } from "./route-schemas.js";

/**
 * Access control (`knitfab serve --auth tokens`): every request needs a live API token, sent as
 * `Authorization: Bearer <token>` (knit, scripts) or in the session cookie that
 * `POST /api/x/session` sets (the web console, whose downloads and log streams are plain links
 * and cannot carry a header). The exceptions, which reveal nothing and change nothing:
 *
 * - `GET /healthz`, `GET /readyz`: probes;
 * - the console's static files (`GET /` and everything outside `/api`): the built app, the same for
 *   everyone, holding no data; it asks for a token once the API answers 401;
 * - `POST /api/backend/data/import/end`: authenticated by its own signed import token (the JWT of
 *   import/begin, which itself needs an API token);
 * - `POST /api/x/session`: checks the token it is given.
 */
export interface AccessControl {
  verifier: TokenVerifier;
  /** set the session cookie `Secure` (the server speaks HTTPS) */
  secureCookie: boolean;
}

/** The session cookie of the web console: the token itself, for this browser session only. */
export const SESSION_COOKIE = "knitfab_token";
export const SESSION_PATH = "/api/x/session";
const IMPORT_END_ROUTE = "/api/backend/data/import/end/";
const PROBES = new Set(["/healthz", "/readyz"]);

const SessionBody = Type.Object({ token: Type.String({ maxLength: 1024 }) }, { additionalProperties: false });

declare module "fastify" {
  interface FastifyRequest {
    /** the id of the API token the request came with (access control on) */
    apiTokenId?: string;
  }
}

export async function installAccessControl(app: FastifyInstance, access: AccessControl): Promise<void> {
  app.addHook("onRequest", async (request, reply) => {
    if (isPublic(request)) return;
    const presented = presentedToken(request);
    const tokenId = presented === undefined ? undefined : await access.verifier.verify(presented);
    if (tokenId === undefined) refuse(reply, presented !== undefined);
    request.apiTokenId = tokenId;
  });

  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.post(
    SESSION_PATH,
    {
      schema: {
        tags: ["access control (extension)"],
        summary: "Check an API token and keep it in an HttpOnly session cookie (the web console's login)",
        body: SessionBody,
        response: noContentResponses(),
      },
      config: { body: { types: ["application/json"] } },
    },
    async (request, reply) => {
      const { token } = request.body;
      if ((await access.verifier.verify(token)) === undefined) refuse(reply, true);
      // no Max-Age: the cookie ends with the browser session; Strict: no other site's page sends it
      return reply
        .header("set-cookie", `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${access.secureCookie ? "; Secure" : ""}`)
        .status(204)
        .send();
    },
  );
  typed.delete(SESSION_PATH, { schema: { tags: ["access control (extension)"], summary: "Forget the session cookie", response: noContentResponses() }, config: { body: "none" } }, async (_request, reply) =>
    reply
      .header("set-cookie", `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${access.secureCookie ? "; Secure" : ""}`)
      .status(204)
      .send(),
  );
}

function isPublic(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  const path = (request.url.split("?")[0] ?? "/");
  if (request.method === "GET" || request.method === "HEAD") {
    if (route !== undefined && PROBES.has(route)) return true;
    if (route === CONSOLE_ROUTE && path !== "/api" && !path.startsWith("/api/")) return true;
  }
  if (request.method === "POST" && (route === IMPORT_END_ROUTE || route === SESSION_PATH)) return true;
  return request.method === "DELETE" && route === SESSION_PATH;
}

/** The token of the request: the Bearer credentials, else the session cookie. */
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    // an Authorization of another scheme is a wrong credential, not a missing one
    return match ? match[1] : "";
  }
  const cookies = request.headers.cookie;
  if (cookies === undefined) return undefined;
  for (const part of cookies.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

function refuse(reply: FastifyReply, presented: boolean): never {
  reply.header("www-authenticate", presented ? 'Bearer realm="knitfab", error="invalid_token"' : 'Bearer realm="knitfab"');
  throw new UnauthorizedError("unauthorized", {
    advice: presented
      ? "the API token is not valid (unknown, or revoked); ask the administrator of this Knitfab for a new one"
      : "this Knitfab needs an API token: send it as 'Authorization: Bearer <token>'; with knit, 'knit init' a knitprofile that has one (ask the administrator)",
  });
}

/** Headers of a request forwarded to an extra API: our credentials stay here unless the endpoint asks for them. */
export function withoutOwnCredentials<H extends object>(headers: H, keepAuthorization: boolean): H {
  const forwarded = { ...headers } as Record<string, unknown>;
  if (!keepAuthorization) delete forwarded.authorization;
  const cookie = forwarded.cookie;
  if (typeof cookie === "string") {
    const others = cookie.split(";").filter((part) => part.split("=")[0]?.trim() !== SESSION_COOKIE).join(";").trim();
    if (others === "") delete forwarded.cookie;
    else forwarded.cookie = others;
  }
  return forwarded as H;
}
