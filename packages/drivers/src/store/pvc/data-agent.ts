/**
 * The data agent: a small HTTP server that serves ONE mounted folder (a Data's claim, mounted at
 * `root` of its Pod) for the pvc store, following the reference's protocol (spec/api.md §4.4) plus
 * the extension routes listed in agent-protocol.ts. It is run by `knitfab data-agent` inside a
 * short-lived Pod; the pvc store makes one Pod per operation and deletes it afterwards.
 *
 * One operation per agent, as the reference's: the first request is served, any later one gets 404,
 * and once that request is answered the agent stops (`onDone`). If no request arrives before
 * `deadlineSeconds` the agent stops too, so an agent whose caller died does not wait forever.
 *
 * Safety is the local store's: uploads are extracted by @knitfab/archive with its refusals (escaping
 * names, links leading out, special files) and limits into a hidden partial folder on the same
 * volume, checked against the announced MD5, and only then moved into place; a sealed Data is defused
 * (setuid bits, special files, outside links) before anyone reads it.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, mkdir, open, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { extractTarGz, md5Tap, packDirectory } from "@knitfab/archive";
import { dataPathParts, listDataFiles, openDataFile, resolveInside } from "../browse.js";
import { concatenatedFiles } from "../concatenated-files.js";
import type { ByteRange, UploadLimits } from "../data-store.js";
import { defuseTree } from "../defuse-tree.js";
import { ChecksumMismatchError, DataExistsError, DataMissingError, InsufficientSpaceError, UnsafeDataPathError } from "../errors.js";
import { followOpenFile } from "../follow-file.js";
import { agentErrorStatus, encodeAgentError, type AgentMode } from "./agent-protocol.js";

/** Uploads are extracted here (inside the volume, so moving them into place is a rename) and removed on failure. */
export const PARTIAL_PREFIX = ".knitfab-partial-";

export interface DataAgentOptions {
  /** The folder served: the claim's mount point. */
  root: string;
  mode: AgentMode;
  port: number;
  /** Default 0.0.0.0: the store reaches the agent at its Pod's IP. */
  host?: string;
  /** Seconds to wait for the one request (default 180, as the reference's). */
  deadlineSeconds?: number;
  limits?: UploadLimits;
  /** How often a followed file is looked at for more bytes (default 250 ms). */
  followPollMs?: number;
}

export interface DataAgent {
  port: number;
  /** Settles when the agent stopped: its request was answered, or the deadline passed. */
  done: Promise<"served" | "deadline">;
  close(): Promise<void>;
}

export async function startDataAgent(options: DataAgentOptions): Promise<DataAgent> {
  const { root, mode } = options;
  let taken = false;
  let resolveDone: (why: "served" | "deadline") => void = () => undefined;
  const done = new Promise<"served" | "deadline">((resolve) => (resolveDone = resolve));

  const server: Server = createServer((request, response) => {
    if (taken) {
      answerError(response, 404, { message: "not found" });
      return;
    }
    taken = true;
    clearTimeout(deadline);
    void serve(request, response).finally(() => resolveDone("served"));
  });
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      await route(request, response);
    } catch (error) {
      if (response.headersSent) response.destroy(error instanceof Error ? error : undefined);
      else answerError(response, agentErrorStatus(error), encodeAgentError(error));
      // The body the client still sends is of no use once we answered.
      request.resume();
    }
    if (!response.writableFinished) await new Promise((resolve) => response.once("close", resolve));
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://agent");
    const key = `${mode} ${request.method ?? ""} ${url.pathname}`;
    const path = (): string => url.searchParams.get("path") ?? "";
    switch (key) {
      case "read GET /":
        return sendArchive(root, response);
      case "write POST /":
        return receiveArchive(root, request, response, options.limits ?? {});
      case "read GET /files":
        return answerJson(response, 200, await listDataFiles(await existingRoot(root), path(), url.searchParams.get("recursive") === "1"));
      case "read GET /file":
        return sendFile(root, path(), request, response);
      case "read POST /follow":
        return followFile(root, path(), request, response, options.followPollMs);
      case "read GET /concatenated":
        response.writeHead(200, { "content-type": "application/octet-stream" });
        await pipeline(concatenatedFiles(await existingRoot(root)), response);
        return;
      case "write PUT /file":
        return writeFile(root, path(), request, response);
      case "write POST /seal": {
        const report = await defuseTree(await existingRoot(root));
        await chmod(root, 0o755);
        return answerJson(response, 200, report);
      }
      case "write POST /prepare": {
        // A task may run as any user of its image: its output volume is writable by all, as the
        // local store's is; an importer runs as the server's user.
        await chmod(await existingRoot(root), url.searchParams.get("writer") === "importer" ? 0o700 : 0o777);
        response.writeHead(204).end();
        return;
      }
      default:
        request.resume();
        answerError(response, 404, { message: "not found" });
    }
  };

  const deadline = setTimeout(() => {
    if (!taken) resolveDone("deadline");
  }, (options.deadlineSeconds ?? 180) * 1000);
  deadline.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", resolve);
  });
  const close = async (): Promise<void> => {
    clearTimeout(deadline);
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port: (server.address() as AddressInfo).port, done, close };
}

/** The served folder, or DataMissingError (the reference answers 404 when it is no folder). */
async function existingRoot(root: string): Promise<string> {
  const stats = await stat(root).catch(() => undefined);
  if (!stats?.isDirectory()) throw new DataMissingError("");
  return root;
}

async function sendArchive(root: string, response: ServerResponse): Promise<void> {
  await existingRoot(root);
  const tap = md5Tap();
  response.writeHead(200, { "content-type": "application/tar+gzip", trailer: "x-checksum-md5" });
  await pipeline(packDirectory(root), tap, response, { end: false });
  response.addTrailers({ "x-checksum-md5": tap.digest() });
  response.end();
}

async function receiveArchive(root: string, request: IncomingMessage, response: ServerResponse, limits: UploadLimits): Promise<void> {
  await existingRoot(root);
  // A partial left by an upload that died with its agent is no content: it is cleared first.
  const entries = await readdir(root);
  for (const name of entries.filter(isPartial)) await rm(join(root, name), { recursive: true, force: true });
  if (entries.some((name) => !isPartial(name))) throw new DataExistsError("");
  const partial = join(root, `${PARTIAL_PREFIX}${randomBytes(6).toString("hex")}`);
  try {
    const reserveBytes = limits.reserveBytes ?? 0;
    const received = await extractTarGz(request, partial, {
      ...(limits.maxBytes === undefined ? {} : { maxBytes: limits.maxBytes }),
      ...(limits.maxEntries === undefined ? {} : { maxEntries: limits.maxEntries }),
      reserve: async (bytes) => {
        if (reserveBytes === 0) return;
        const stats = await statfs(root);
        if (stats.bavail * stats.bsize - bytes < reserveBytes) throw new InsufficientSpaceError(`the volume keeps ${reserveBytes} bytes in reserve`);
      },
    });
    // The trailer arrives after the body: extraction has read it all by now.
    const announced = (request.trailers["x-checksum-md5"] ?? "").trim().toLowerCase();
    if (announced !== "" && announced !== received.md5) throw new ChecksumMismatchError(announced, received.md5);
    // Into place entry by entry (the volume's root itself is the mount point and cannot be renamed).
    for (const name of await readdir(partial)) await rename(join(partial, name), join(root, name));
    await rm(partial, { recursive: true, force: true });
    response.writeHead(204, { "x-files": String(received.files), "x-bytes": String(received.bytes), "x-received-md5": received.md5 });
    response.end();
  } catch (error) {
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

async function sendFile(root: string, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const range = parseRange(request.headers.range);
  const file = await openDataFile(await existingRoot(root), path, range);
  const headers = { "content-type": "application/octet-stream", "x-file-size": String(file.size), "content-length": String(file.end - file.start + 1) };
  if (range === undefined) response.writeHead(200, headers);
  else response.writeHead(206, { ...headers, "content-range": `bytes ${file.start}-${file.end}/${file.size}` });
  await pipeline(file.stream, response);
}

/** `bytes=START-[END]` or `bytes=-SUFFIX`; anything else is the whole file. */
export function parseRange(header: string | undefined): ByteRange | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!match) return undefined;
  const [, start, end] = match;
  if (start === "" && end !== "") return { suffix: Number(end) };
  if (start === "") return undefined;
  return end === "" ? { start: Number(start) } : { start: Number(start), end: Number(end) };
}

/** Follows the file while the client's request body stays open (see agent-protocol.ts). */
async function followFile(root: string, path: string, request: IncomingMessage, response: ServerResponse, pollMs?: number): Promise<void> {
  const parts = dataPathParts(path);
  const real = await resolveInside(await existingRoot(root), parts, parts.join("/"));
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  let writing = true;
  request.on("end", () => (writing = false));
  request.on("close", () => (writing = false));
  request.resume();
  response.writeHead(200, { "content-type": "application/octet-stream" });
  response.flushHeaders();
  await pipeline(followOpenFile(handle, async () => writing, pollMs), response);
}

async function writeFile(root: string, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const parts = dataPathParts(path);
  const name = parts.pop();
  if (name === undefined) throw new UnsafeDataPathError(path, "it names the Data's root, not a file");
  await existingRoot(root);
  if (parts.length > 0) await mkdir(join(root, ...parts), { recursive: true });
  // The folder may hold what a task wrote: a link on the way may not lead the write outside.
  const parent = await resolveInside(root, parts, parts.join("/"));
  const handle = await open(join(parent, name), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  await pipeline(request, handle.createWriteStream());
  response.writeHead(204).end();
}

function isPartial(name: string): boolean {
  return name.startsWith(PARTIAL_PREFIX);
}

function answerJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function answerError(response: ServerResponse, status: number, body: unknown): void {
  answerJson(response, status, body);
}
