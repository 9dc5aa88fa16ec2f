import type { FastifyInstance, FastifyRequest } from "fastify";
import type { IncomingHttpHeaders } from "node:http";
import { InputError } from "@knitfab/domain";
import type { InvalidBodyWording } from "./errors.js";

/**
 * Which bodies a route takes. A route that declares nothing takes none.
 *
 * - `"none"`: the handler reads no body. Whatever is sent is ignored, as the reference ignores it,
 *   but only without a Content-Type or as application/json: a form or text Content-Type is what a
 *   page on another origin can send without asking, so it is refused.
 * - `BodyTypes`: a body of one of these media types. Anything else is refused before it is read,
 *   so a cross-origin page cannot pass a form off as JSON or as an upload.
 * - `"passThrough"`: any body of any type reaches the handler unread, as a stream (the extra-API
 *   proxy: bodies are the upstream's business). The route must not parse JSON itself.
 */
export type BodyRule = "none" | "passThrough" | BodyTypes;

export interface BodyTypes {
  /** accepted media types, lower case (parameters such as charset are allowed unless `exact`) */
  types: readonly string[];
  /** the Content-Type must be exactly one of `types`, without parameters */
  exact?: boolean;
  /** echo's binder: an empty body needs no Content-Type and means "no change" (`{}`) */
  emptyIsNoChange?: boolean;
  /** what to say when the Content-Type does not fit; else the route's invalidBody wording */
  wrongType?: InvalidBodyWording;
  /**
   * Read the body as the first of `types` whatever the Content-Type says, as the reference does on
   * some endpoints. Only for methods a page on another origin cannot send without a CORS preflight
   * (PUT, DELETE), which this server never grants; the Origin check refuses them besides.
   */
  whateverTheType?: boolean;
}

/** JSON read as echo's binder reads it (spec/api.md §2.9): empty is no change, else application/json. */
export const JSON_BODY: BodyTypes = { types: ["application/json"], emptyIsNoChange: true };

declare module "fastify" {
  interface FastifyContextConfig {
    body?: BodyRule;
  }
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const ACCEPTED_WITHOUT_BODY = "application/json";

/** Body parsing and the body rules of every route. Call before any route is added. */
export function installBodyRules(app: FastifyInstance): void {
  // An empty JSON body is no body (Fastify would refuse it): clients send the header on bodiless calls.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body.toString();
    if (text === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  // Uploads are streamed, never buffered: any other body reaches the handler as the raw stream.
  app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

  app.addHook("onRequest", async (request) => {
    const rule = ruleOf(request);
    if (rule && rule !== "passThrough") checkContentType(request, rule);
  });
  app.addHook("preParsing", async (request, _reply, payload) => {
    const rule = ruleOf(request);
    // Nothing to read (no route, a route without body, an empty body): without these headers
    // Fastify parses nothing, and Node drains what was sent.
    if (request.is404 || rule === "none" || (typeof rule === "object" && rule.emptyIsNoChange && hasEmptyBody(request.headers))) {
      delete request.headers["content-type"];
      delete request.headers["content-length"];
      delete request.headers["transfer-encoding"];
    }
    return payload;
  });
  app.addHook("preValidation", async (request) => {
    const rule = ruleOf(request);
    if (rule !== undefined && typeof rule !== "string" && rule.emptyIsNoChange && request.body === undefined) request.body = {};
  });
}

function ruleOf(request: FastifyRequest): BodyRule | undefined {
  if (request.is404 || !METHODS_WITH_BODY.has(request.method)) return undefined;
  return request.routeOptions.config?.body ?? "none";
}

function checkContentType(request: FastifyRequest, rule: Exclude<BodyRule, "passThrough">): void {
  const header = request.headers["content-type"];
  const media = header?.split(";")[0]?.trim().toLowerCase();
  if (rule === "none") {
    if (media === undefined || media === ACCEPTED_WITHOUT_BODY) return;
    throw new InputError("bad request", {
      advice: "this endpoint takes no body: send the request without one (and without a Content-Type, or with application/json)",
      cause: new Error(`Content-Type is "${header ?? ""}"`),
    });
  }
  if (rule.emptyIsNoChange && hasEmptyBody(request.headers)) return;
  if (rule.whateverTheType && request.method !== "POST") {
    request.headers["content-type"] = rule.types[0];
    return;
  }
  const fits = rule.exact ? header !== undefined && rule.types.includes(header.toLowerCase()) : media !== undefined && rule.types.includes(media);
  if (fits) return;
  const wording = rule.wrongType ?? request.routeOptions.config?.invalidBody ?? { reason: "bad request" };
  throw new InputError(wording.reason, {
    advice: wording.advice ?? `send the body with "Content-Type: ${rule.types.join('" or "')}"`,
    cause: new Error(header === undefined ? "the request has no Content-Type" : `Content-Type is "${header}", not ${rule.types.join(" or ")}`),
  });
}

/** What the headers say before anything is read: no chunked body and no (or a zero) Content-Length. */
function hasEmptyBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] === undefined && (headers["content-length"] === undefined || headers["content-length"] === "0");
}
