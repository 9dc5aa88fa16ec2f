import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listApiTokens, revokeApiToken, type Database } from "@knitfab/db";
import { BACKENDS, testDatabase } from "@knitfab/testing";
import { createApiToken, createTokenVerifier, hashSecret, type TokenVerifier } from "./tokens.js";

describe.each(BACKENDS)("API tokens on %s", (backend) => {
  let database: Database;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    database = await testDatabase(backend);
    // a cache longer than any test, so that only a notification can empty it
    verifier = await createTokenVerifier(database, { cacheMs: 3_600_000, touchEveryMs: 3_600_000 });
  });

  afterAll(async () => {
    await verifier?.stop();
    await database?.close();
  });

  it("stores only the SHA-256 of a high-entropy secret", async () => {
    const { secret, token } = await createApiToken(database, "alice");
    expect(secret).toMatch(/^knitfab_[A-Za-z0-9_-]{43}$/);
    const rows = await sql<{ secret_hash: Uint8Array; name: string }>`SELECT secret_hash, name FROM api_token WHERE token_id = ${token.tokenId}::uuid`.execute(database.db);
    expect(Buffer.from(rows.rows[0]!.secret_hash).equals(hashSecret(secret))).toBe(true);
    expect(JSON.stringify(rows.rows)).not.toContain(secret.slice(8));
    const second = await createApiToken(database, "alice");
    expect(second.secret).not.toBe(secret);
    await expect(createApiToken(database, "bad\nname")).rejects.toThrow(/printable/);
  });

  it("answers from its cache when hot, and forgets at once on a revocation", async () => {
    const { secret, token } = await createApiToken(database, "cached");
    expect(await verifier.verify(secret)).toBe(token.tokenId);
    // revoked behind the verifier's back (no NOTIFY): the cache still believes the token, which
    // shows the second check did not ask the database
    await sql`UPDATE api_token SET revoked_at = now() WHERE token_id = ${token.tokenId}::uuid`.execute(database.db);
    expect(await verifier.verify(secret)).toBe(token.tokenId);
    // a revocation through revokeApiToken notifies every verifier
    const other = await createApiToken(database, "other");
    await revokeApiToken(database.db, other.token.tokenId);
    let answer: string | undefined = token.tokenId;
    for (let attempt = 0; attempt < 100 && answer !== undefined; attempt++) {
      answer = await verifier.verify(secret);
      if (answer !== undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer).toBeUndefined();
  });

  it("refuses unknown secrets and other shapes, and records last use when stopped", async () => {
    expect(await verifier.verify("knitfab_unknown")).toBeUndefined();
    expect(await verifier.verify("")).toBeUndefined();
    expect(await verifier.verify(`knitfab_${"x".repeat(500)}`)).toBeUndefined();
    const { secret, token } = await createApiToken(database, "used");
    const own = await createTokenVerifier(database, { touchEveryMs: 3_600_000 });
    expect(await own.verify(secret)).toBe(token.tokenId);
    await own.stop();
    const listed = (await listApiTokens(database.db)).find((entry) => entry.tokenId === token.tokenId);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
    expect(listed?.revokedAt).toBeUndefined();
    expect(await revokeApiToken(database.db, "not-a-uuid")).toBeUndefined();
  });
});
