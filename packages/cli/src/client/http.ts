import type http from "node:http";
import type { Readable } from "node:stream";
import { CommandError } from "../cli/errors.js";
import { caPem, type Profile } from "../profile/profile.js";

/** A response whose body is still unread. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface RequestOptions {
  query?: [string, string][];
  headers?: Record<string, string>;
  /** A complete body, or a stream sent with chunked transfer encoding. */
  body?: string | Buffer | Readable;
  /** Request trailers, computed once the streamed body has been sent. */
  trailers?: () => Record<string, string>;
  signal?: AbortSignal;
}

/** Node's client module for the profile's scheme, with the agent to send every request through. */
interface Transport {
  request: typeof http.request;
  agent: http.Agent;
}

/**
 * Loads only the client module the apiRoot's scheme needs, on the first request: Node's https and tls
 * cost more to load than a whole `knit data find` over plain HTTP, and commands that send nothing
 * (`knit version`, `--help`) load neither.
 */
async function loadTransport(apiRoot: URL, profile: Profile): Promise<Transport> {
  if (apiRoot.protocol !== "https:") {
    const { default: client } = await import("node:http");
    return { request: client.request, agent: new client.Agent({ keepAlive: false }) };
  }
  const [{ default: client }, { rootCertificates }] = await Promise.all([import("node:https"), import("node:tls")]);
  const pem = profile.cert?.ca ? caPem(profile.cert.ca) : undefined;
  return { request: client.request, agent: new client.Agent({ ca: pem ? [...rootCertificates, pem] : undefined, keepAlive: false }) };
}

/** The HTTP client of one profile: joins paths to `apiRoot` and trusts the profile's CA. */
export class ApiClient {
  readonly apiRoot: URL;
  private readonly profile: Profile;
  private transport: Promise<Transport> | undefined;

  constructor(profile: Profile) {
    this.apiRoot = new URL(profile.apiRoot.replace(/\/+$/, ""));
    this.profile = profile;
  }

  /** `apiRoot` joined with URL-escaped path segments, without a trailing slash. */
  url(segments: string[], query: [string, string][] = []): URL {
    const url = new URL(this.apiRoot.href);
    url.pathname = [url.pathname.replace(/\/+$/, ""), ...segments.map(encodeURIComponent)].join("/");
    for (const [key, value] of query) url.searchParams.append(key, value);
    return url;
  }

  /** Sends a request and resolves with the response head; the caller reads or discards the body. */
  async send(method: string, segments: string[], options: RequestOptions = {}): Promise<RawResponse> {
    const url = this.url(segments, options.query);
    const { request: sendRequest, agent } = await (this.transport ??= loadTransport(this.apiRoot, this.profile));
    const headers: Record<string, string> = { ...options.headers };
    if (this.profile.token !== undefined) headers.Authorization = `Bearer ${this.profile.token}`;
    const streamed = options.body !== undefined && typeof options.body !== "string" && !Buffer.isBuffer(options.body);
    if (streamed) {
      headers["Transfer-Encoding"] = "chunked";
    } else if (options.body !== undefined) {
      headers["Content-Length"] = String(Buffer.byteLength(options.body as string | Buffer));
    }
    return new Promise((resolve, reject) => {
      const request = sendRequest(url, { method, headers, agent, signal: options.signal }, (response) => {
        if (response.statusCode === 401 && typeof response.headers["www-authenticate"] === "string" && /^Bearer/i.test(response.headers["www-authenticate"])) {
          // the API token is missing or refused, whatever the command: say what to do about it
          response.resume();
          reject(unauthorized(this.apiRoot, this.profile.token !== undefined));
          request.destroy();
          return;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response });
      });
      request.on("error", (error) => reject(connectionError(error, url)));
      const body = options.body;
      if (body === undefined) {
        request.end();
      } else if (typeof body === "string" || Buffer.isBuffer(body)) {
        request.end(body);
      } else {
        body.on("error", (error) => request.destroy(error));
        body.on("end", () => {
          if (options.trailers) request.addTrailers(options.trailers());
          request.end();
        });
        body.pipe(request, { end: false });
      }
    });
  }

  /** Sends a request and parses a JSON answer; a non-2xx answer becomes an `HttpError`. */
  async json<T>(method: string, segments: string[], options: RequestOptions & { json?: unknown } = {}): Promise<T> {
    const { json, ...rest } = options;
    const request: RequestOptions = json === undefined ? rest : {
      ...rest,
      body: JSON.stringify(json),
      headers: { ...rest.headers, "Content-Type": "application/json" },
    };
    const response = await this.send(method, segments, request);
    const text = await readText(response.body);
    if (response.status < 200 || response.status > 299) throw new HttpError(response.status, text);
    if (text.trim() === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CommandError(`the server at ${this.apiRoot.href} answered something that is not JSON; check that the profile's apiRoot points at a Knitfab API`);
    }
  }
}

/** A non-2xx answer. `detail` is the body, pretty-printed when it is JSON. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly detail: string;
  constructor(status: number, body: string) {
    const detail = prettyDetail(body);
    super(`status code = ${status}\n${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

function prettyDetail(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") return JSON.stringify(parsed, null, 4);
  } catch {
    // not JSON: show it as it came
  }
  return body;
}

export async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString("utf8");
}

/** The server wants an API token (`knitfab serve --auth tokens`) and has none, or refuses the profile's. */
function unauthorized(apiRoot: URL, hadToken: boolean): CommandError {
  return new CommandError(
    hadToken
      ? `the server at ${apiRoot.href} refused this profile's API token (401 Unauthorized): it is unknown or has been revoked\n` +
          "ask the administrator of this Knitfab for a new token, then run 'knit init' with the knitprofile that has it"
      : `the server at ${apiRoot.href} requires an API token (401 Unauthorized), and this profile has none\n` +
          "ask the administrator of this Knitfab for a token, then run 'knit init' with the knitprofile they give you " +
          "(it has a 'token:' line; 'knitfab admin token create --handout FILE' writes one)",
  );
}

function connectionError(error: Error, url: URL): Error {
  if (error.name === "AbortError") return error;
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH"
    ? "is the server running, and does the profile's apiRoot point at it? (see 'knit init')"
    : code && /CERT|SELF_SIGNED|UNABLE_TO/.test(code)
      ? "the server's certificate is not trusted: put its CA in the profile (cert.ca) with 'knit init'"
      : "check the network and the profile's apiRoot";
  return new CommandError(`cannot reach ${url.origin}: ${error.message}\n${hint}`);
}

/**
 * Composes the reference's error text "<summary>\n<server detail>" with a summary chosen per status.
 */
export function describeHttpError(error: unknown, summaries: { notFound?: string; badRequest?: string; conflict?: string } = {}): Error {
  if (!(error instanceof HttpError)) return error as Error;
  let summary: string;
  if (error.status === 404 && summaries.notFound) summary = summaries.notFound;
  else if (error.status === 400 && summaries.badRequest) summary = summaries.badRequest;
  else if (error.status === 409 && summaries.conflict) summary = summaries.conflict;
  else if (error.status >= 500) summary = `server error (status code = ${error.status})`;
  else summary = `request failed (status code = ${error.status})`;
  return new CommandError(`${summary}\n${error.detail}`);
}
