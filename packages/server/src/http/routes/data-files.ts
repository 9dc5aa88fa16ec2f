import { extname } from "node:path/posix";
import { DataFileList, DataFileQuery, DataFilesQuery, ErrorBody, EXTENSION_PATHS, KnitIdParams } from "@knitfab/api";
import { loadData } from "@knitfab/db";
import { InputError } from "@knitfab/domain";
import { DataMissingError, type ByteRange, type DataStore } from "@knitfab/drivers";
import type { AppOptions } from "../app-options.js";
import { jsonResponses, type ApiApp } from "../route-schemas.js";

/** Fastify's route syntax for a path of the API document: `{knitId}` → `:knitId`. */
const route = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");

/**
 * Our extension (README "Extensions to the API"): look inside a sealed Data without downloading its
 * archive. Reading goes through the data store, which keeps every path inside the Data; files are
 * streamed from it, a range at a time when asked, so no file is ever held whole in memory.
 */
export async function dataFileRoutes(app: ApiApp, { database, store }: AppOptions): Promise<void> {
  app.get(
    route(EXTENSION_PATHS.dataFiles),
    {
      schema: {
        tags: ["data (extension)"],
        summary: "List a data's files at a path (extension)",
        params: KnitIdParams,
        querystring: DataFilesQuery,
        response: jsonResponses(DataFileList),
      },
    },
    async (request) => {
      const { knitId } = request.params;
      const query = request.query;
      const recursive = parseRecursive(query.recursive);
      const known = await knownKnitId(database, store, knitId);
      const listing = await store.listFiles(known, query.path ?? "", { recursive });
      return { knitId: known, ...listing };
    },
  );

  app.get(
    route(EXTENSION_PATHS.dataFile),
    {
      schema: {
        tags: ["data (extension)"],
        summary: "A data's file, or a byte range of it (Range: bytes=...) (extension)",
        params: KnitIdParams,
        querystring: DataFileQuery,
        response: {
          200: { description: "the file's bytes", type: "string", format: "binary" },
          206: { description: "the range asked for (Content-Range)", type: "string", format: "binary" },
          "4xx": ErrorBody,
          "5xx": ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { knitId } = request.params;
      const { path } = request.query;
      const known = await knownKnitId(database, store, knitId);
      const range = parseRange(request.headers.range);
      // a range past the end is a RangeNotSatisfiableError: 416 with the file's size (errors.ts)
      const file = await store.openFile(known, path, range);
      const partial = range !== undefined;
      reply
        .status(partial ? 206 : 200)
        .header("content-type", contentTypeOf(path))
        .header("content-length", String(file.end - file.start + 1))
        .header("accept-ranges", "bytes")
        // A Data's file is whatever a task wrote: never a page of this origin that could run scripts.
        .header("content-security-policy", "sandbox; default-src 'none'")
        .header("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(path.split("/").at(-1) ?? "file")}`);
      if (partial) reply.header("content-range", `bytes ${file.start}-${file.end}/${file.size}`);
      return reply.send(file.stream);
    },
  );
}

/**
 * The knitId as the database knows it, when the Data exists and its content is in the store; else the
 * same 404 as a download (the store tells unsealed content apart itself).
 */
async function knownKnitId(database: AppOptions["database"], store: DataStore, knitId: string): Promise<string> {
  const [data] = await loadData(database.db, [knitId]);
  if (!data || !(await store.exists(data.knitId))) throw new DataMissingError(knitId);
  return data.knitId;
}

function parseRecursive(value: string | undefined): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new InputError(`invalid value for recursive: "${value}"`, { advice: 'use "recursive=true" for every descendant, or leave it out for a folder\'s children.' });
}

/**
 * One byte range of a `Range` header (RFC 9110 §14.2): `bytes=FIRST-LAST`, `bytes=FIRST-` or
 * `bytes=-SUFFIX`. Anything else (another unit, several ranges, nonsense) is ignored, as the RFC
 * lets a server do: the whole file is sent.
 */
export function parseRange(header: string | undefined): ByteRange | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") return { suffix: Number(last) };
  const start = Number(first);
  if (last === "") return { start };
  const end = Number(last);
  return end < start ? undefined : { start, end };
}

const TEXT = "text/plain; charset=utf-8";

/**
 * Content types by extension. Text of any kind is plain text (HTML and scripts too: shown, never run);
 * images and PDF keep their types so a browser can preview them; anything else is opaque bytes.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ...Object.fromEntries(
    [".txt", ".text", ".log", ".csv", ".tsv", ".md", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".html", ".htm", ".css", ".js", ".mjs", ".ts", ".py", ".r", ".sh", ".sql", ".ipynb", ".jsonl", ".ndjson"].map(
      (extension) => [extension, TEXT],
    ),
  ),
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}
