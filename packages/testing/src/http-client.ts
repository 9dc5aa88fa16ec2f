import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A plain JSON call over real HTTP. */
export async function callJson<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown; contentType?: string | null; rawBody?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (init.rawBody !== undefined) body = init.rawBody;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined && init.contentType !== null) headers["content-type"] = init.contentType ?? "application/json";
  const response = await fetch(url, { method: init.method ?? "GET", headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: jsonOf(text) as T, text };
}

/** The text parsed as JSON, or undefined when it is empty or not JSON. */
function jsonOf(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export interface UploadResult {
  status: number;
  body: unknown;
}

export interface UploadOptions {
  /** the trailer's value: by default the right MD5; null sends no trailer */
  checksum?: string | null;
  /** an `x-checksum-md5` header to send as well (clients that cannot send trailers do so) */
  checksumHeader?: string;
}

/**
 * POSTs a tar.gz stream the way the knit CLI does: chunked, with the MD5 of the compressed bytes as
 * the `x-checksum-md5` request trailer (or a given wrong one). Resolves with the answer even when
 * the server answers before the body is sent (a refused upload), as the CLI does.
 */
export async function uploadTarGz(apiRoot: string, source: Readable, options: UploadOptions = {}): Promise<UploadResult> {
  const url = new URL(`${apiRoot}/data/`);
  return new Promise((resolve, reject) => {
    const md5 = createHash("md5");
    let answered = false;
    const headers: Record<string, string> = { "content-type": "application/tar+gzip", "transfer-encoding": "chunked", trailer: "x-checksum-md5" };
    if (options.checksumHeader !== undefined) headers["x-checksum-md5"] = options.checksumHeader;
    const request = httpRequest(
      url,
      { method: "POST", headers },
      (response) => {
        // An early answer (a refusal) ends the sending: the rest of the body is not wanted.
        answered = true;
        source.destroy();
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    // Once answered, a connection closed under the unsent rest of the body is expected.
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    source.on("data", (chunk: Buffer) => {
      md5.update(chunk);
      if (!request.write(chunk)) {
        source.pause();
        request.once("drain", () => source.resume());
      }
    });
    source.on("error", (error) => request.destroy(error));
    source.on("end", () => {
      const checksum = options.checksum === undefined ? md5.digest("hex") : options.checksum;
      if (checksum !== null) request.addTrailers({ "x-checksum-md5": checksum });
      request.end();
    });
  });
}

/** GETs a Data's tar.gz; returns the bytes and the trailers. */
export async function downloadTarGz(apiRoot: string, knitId: string): Promise<{ status: number; body: Buffer; trailers: IncomingHttpHeaders; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    httpRequest(new URL(`${apiRoot}/data/${knitId}`), { method: "GET" }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), trailers: response.trailers, headers: response.headers }),
      );
      response.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** the body parsed as JSON, when it is JSON */
  body: unknown;
}

/**
 * A request over node:http with exactly the headers given (fetch refuses to set Host and Origin,
 * and adds headers of its own): for tests of header handling.
 */
export async function requestRaw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    // Node sends a DELETE body without framing unless told its length
    if (init.body !== undefined && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
      headers["content-length"] = String(Buffer.byteLength(init.body));
    }
    const request = httpRequest(new URL(url), { method: init.method ?? "GET", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body: jsonOf(text) });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(init.body);
  });
}
