import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Database, Queryable } from "../database.js";

export interface SigningKey {
  kid: string;
  secret: Buffer;
  expiresAt: Date;
}

const KEY_TTL_SECONDS = 3 * 60 * 60;
const KEYCHAIN_LOCK = 0x6b6e6b63;

/**
 * A signing key valid for at least `validForSeconds` more; issues a new one (256 random bytes,
 * 3 h lifetime) when none is. Issuance is serialised so replicas do not each mint a key; expired
 * keys are dropped at the same time.
 */
export async function signingKeyValidFor(database: Database, validForSeconds: number): Promise<SigningKey> {
  return database.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${KEYCHAIN_LOCK})`.execute(trx);
    const existing = await sql<{ kid: string; secret: Buffer | Uint8Array; expires_at: Date }>`
      SELECT kid, secret, expires_at FROM signing_key
      WHERE expires_at > now() + make_interval(secs => ${validForSeconds}) ORDER BY expires_at DESC LIMIT 1`.execute(trx);
    const found = existing.rows[0];
    if (found) return { kid: found.kid, secret: Buffer.from(found.secret), expiresAt: found.expires_at };
    await sql`DELETE FROM signing_key WHERE expires_at <= now()`.execute(trx);
    const kid = randomUUID();
    const secret = randomBytes(256);
    const inserted = await sql<{ expires_at: Date }>`
      INSERT INTO signing_key (kid, secret, expires_at) VALUES (${kid}::uuid, ${secret}, now() + make_interval(secs => ${KEY_TTL_SECONDS}))
      RETURNING expires_at`.execute(trx);
    return { kid, secret, expiresAt: inserted.rows[0]!.expires_at };
  });
}

/** An unexpired key by id. */
export async function findSigningKey(q: Queryable, kid: string): Promise<SigningKey | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(kid)) return undefined;
  const rows = await sql<{ kid: string; secret: Buffer | Uint8Array; expires_at: Date }>`
    SELECT kid, secret, expires_at FROM signing_key WHERE kid = ${kid}::uuid AND expires_at > now()`.execute(q);
  const row = rows.rows[0];
  return row ? { kid: row.kid, secret: Buffer.from(row.secret), expiresAt: row.expires_at } : undefined;
}
