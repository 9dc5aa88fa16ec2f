import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Queryable } from "../database.js";
import { notify } from "../database.js";
import { CHANNEL } from "../channels.js";

/** A token as `knitfab admin token list` shows it: never its secret, which is not kept. */
export interface ApiTokenRecord {
  tokenId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | undefined;
  revokedAt: Date | undefined;
}

interface TokenRow {
  token_id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function record(row: TokenRow): ApiTokenRecord {
  return {
    tokenId: row.token_id,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
  };
}

/** Records a token by the SHA-256 of its secret (the caller made the secret and keeps it). */
export async function insertApiToken(q: Queryable, name: string, secretHash: Uint8Array): Promise<ApiTokenRecord> {
  const rows = await sql<TokenRow>`
    INSERT INTO api_token (token_id, name, secret_hash) VALUES (${randomUUID()}::uuid, ${name}, ${Buffer.from(secretHash)})
    RETURNING token_id, name, created_at, last_used_at, revoked_at`.execute(q);
  return record(rows.rows[0]!);
}

/** Every token, oldest first, revoked ones included. */
export async function listApiTokens(q: Queryable): Promise<ApiTokenRecord[]> {
  const rows = await sql<TokenRow>`
    SELECT token_id, name, created_at, last_used_at, revoked_at FROM api_token ORDER BY created_at, token_id`.execute(q);
  return rows.rows.map(record);
}

/**
 * Revokes a token by id; API processes drop it from their caches on the NOTIFY this sends, so it
 * stops working at once. Undefined when no token has that id; revoking twice keeps the first time.
 */
export async function revokeApiToken(q: Queryable, tokenId: string): Promise<ApiTokenRecord | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tokenId)) return undefined;
  const rows = await sql<TokenRow>`
    UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE token_id = ${tokenId.toLowerCase()}::uuid
    RETURNING token_id, name, created_at, last_used_at, revoked_at`.execute(q);
  const row = rows.rows[0];
  if (!row) return undefined;
  await notify(q, CHANNEL.apiTokens, row.token_id);
  return record(row);
}

/** The id of the live (not revoked) token with this secret hash, or undefined. */
export async function findLiveApiToken(q: Queryable, secretHash: Uint8Array): Promise<string | undefined> {
  const rows = await sql<{ token_id: string }>`
    SELECT token_id FROM api_token WHERE secret_hash = ${Buffer.from(secretHash)} AND revoked_at IS NULL`.execute(q);
  return rows.rows[0]?.token_id;
}

/** Notes when tokens were last used: one statement for every token seen since the last call. */
export async function touchApiTokens(q: Queryable, usedAt: ReadonlyMap<string, Date>): Promise<void> {
  if (usedAt.size === 0) return;
  const ids = [...usedAt.keys()];
  const times = ids.map((id) => usedAt.get(id)!.toISOString());
  await sql`
    UPDATE api_token AS t SET last_used_at = greatest(t.last_used_at, u.used_at)
    FROM unnest(${ids}::uuid[], ${times}::timestamptz[]) AS u(token_id, used_at)
    WHERE t.token_id = u.token_id`.execute(q);
}
