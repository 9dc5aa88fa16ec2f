import { Type, type Static } from "@sinclair/typebox";
import { strictObject } from "./strict-object.js";

/**
 * Our extension to the reference's API (not in spec/api.md): look inside a Data without downloading
 * it. Kept under `/api/x/` so it can never collide with a path the reference uses or may use.
 */
export const EXTENSION_PATHS = {
  /** GET: a Data's files at a path, as DataFileList. */
  dataFiles: "/api/x/data/{knitId}/files",
  /** GET: one file's bytes, or a byte range of them (HTTP Range). */
  dataFile: "/api/x/data/{knitId}/file",
} as const;

const path = (description: string) => Type.Optional(Type.String({ description, maxLength: 4096 }));

/** GET /api/x/data/{knitId}/files. */
export const DataFilesQuery = Type.Object({
  path: path('a folder or file inside the data, relative to its root ("sub/dir"); the root when absent'),
  recursive: Type.Optional(Type.String({ description: "true: every descendant of the folder; false (default): its children" })),
  pretty: Type.Optional(Type.String({ description: "present: indent the JSON" })),
});
export type DataFilesQuery = Static<typeof DataFilesQuery>;

/** GET /api/x/data/{knitId}/file. */
export const DataFileQuery = Type.Object({ path: Type.String({ description: 'a file inside the data, relative to its root ("sub/a.csv")', minLength: 1, maxLength: 4096 }) });
export type DataFileQuery = Static<typeof DataFileQuery>;

export const DataFileEntry = strictObject({
  name: Type.String({ description: "the last part of path" }),
  path: Type.String({ description: "relative to the data's root, '/'-separated" }),
  type: Type.Union([Type.Literal("file"), Type.Literal("dir"), Type.Literal("link")]),
  size: Type.Integer({ minimum: 0, description: "bytes of a file; 0 for folders and links" }),
  target: Type.Optional(Type.String({ description: "where a symbolic link points, as stored (links are listed, not followed)" })),
});
export type DataFileEntry = Static<typeof DataFileEntry>;

export const DataFileList = strictObject({
  knitId: Type.String(),
  path: Type.String({ description: 'the path listed, normalised ("" is the root)' }),
  type: Type.Union([Type.Literal("file"), Type.Literal("dir")], { description: "dir: its entries are listed; file: the one entry" }),
  entries: Type.Array(DataFileEntry, { description: "breadth first, each folder's entries sorted by name" }),
  totals: strictObject({
    files: Type.Integer({ minimum: 0 }),
    dirs: Type.Integer({ minimum: 0 }),
    links: Type.Integer({ minimum: 0 }),
    bytes: Type.Integer({ minimum: 0, description: "of the listed files" }),
  }),
  truncated: Type.Boolean({ description: "the listing stopped at the server's bound on entries; list a deeper path" }),
});
export type DataFileList = Static<typeof DataFileList>;
