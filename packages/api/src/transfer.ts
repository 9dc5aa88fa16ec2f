import { Type, type Static } from "@sinclair/typebox";
import { Id, UUID_PATTERN } from "./formats.js";
import { strictObject } from "./strict-object.js";

/** Media types and headers of the non-JSON exchanges (spec/api.md §2, §4). */
export const MEDIA_TYPES = {
  json: "application/json",
  /** uploads and downloads: gzip'd POSIX tar */
  tarGz: "application/tar+gzip",
  /** run logs: the raw bytes */
  log: "application/octet-stream",
  /** custom import tokens */
  jwt: "application/jwt",
} as const;

/** The trailer carrying the MD5 (lower-case hex) of the compressed bytes of an upload or download. */
export const CHECKSUM_TRAILER = "x-checksum-md5";

/** A compact JWS: three base64url parts. */
export const ImportToken = Type.String({ pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$", description: "a compact JWS (HS256)" });

/** The protected header of an import token. */
export const ImportTokenHeader = strictObject({ alg: Type.Literal("HS256"), kid: Id, typ: Type.Literal("JWT") });
export type ImportTokenHeader = Static<typeof ImportTokenHeader>;

/** The claims of an import token (spec/api.md §4.6): no `exp`, `iat` or `nbf`; `sub` names the volume, never a path. */
export const ImportTokenClaims = strictObject({
  jti: Type.String({ minLength: 1 }),
  sub: Type.String({ pattern: `^data-knitid-${UUID_PATTERN.slice(1)}`, description: "the volume to fill: data-knitid-<knitId>" }),
  "knitfab/knitId": Id,
  "knitfab/runId": Id,
});
export type ImportTokenClaims = Static<typeof ImportTokenClaims>;
