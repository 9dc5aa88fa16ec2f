import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { findSigningKey, signingKeyValidFor } from "./signing-keys.js";

/** The keychain at the db layer: one key shared while it lasts, a new one when it does not, expired keys gone. */
describe.each(BACKENDS)("signing keys on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const keyCount = async () => (await sql<{ count: number }>`SELECT count(*)::int AS count FROM signing_key`.execute(database.db)).rows[0]!.count;

  it("issues a 256-byte key for about three hours, then hands out the same key while it is valid long enough", async () => {
    const first = await signingKeyValidFor(database, 60);
    expect(first.secret).toHaveLength(256);
    const lifetime = first.expiresAt.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(2.9 * 3600 * 1000);
    expect(lifetime).toBeLessThan(3.1 * 3600 * 1000);
    const again = await signingKeyValidFor(database, 60);
    expect(again.kid).toBe(first.kid);
    expect(again.secret.equals(first.secret)).toBe(true);
  });

  it("issues a new key when none lasts long enough, and keeps the older unexpired one findable", async () => {
    const current = await signingKeyValidFor(database, 60);
    const longer = await signingKeyValidFor(database, 4 * 3600);
    expect(longer.kid).not.toBe(current.kid);
    expect((await findSigningKey(database.db, current.kid))?.kid).toBe(current.kid);
    expect((await findSigningKey(database.db, longer.kid))?.secret.equals(longer.secret)).toBe(true);
  });

  it("drops expired keys when it issues one; an expired key is no longer found", async () => {
    const old = await signingKeyValidFor(database, 60);
    await sql`UPDATE signing_key SET expires_at = now() - interval '1 second'`.execute(database.db);
    expect(await findSigningKey(database.db, old.kid)).toBeUndefined();
    const fresh = await signingKeyValidFor(database, 60);
    expect(fresh.kid).not.toBe(old.kid);
    expect(await keyCount()).toBe(1);
  });

  it("concurrent requests agree on one key", async () => {
    await sql`DELETE FROM signing_key`.execute(database.db);
    const keys = await Promise.all([1, 2, 3, 4].map(() => signingKeyValidFor(database, 60)));
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
    expect(await keyCount()).toBe(1);
  });

  it("finds nothing for an unknown or malformed key id", async () => {
    expect(await findSigningKey(database.db, "00000000-0000-4000-8000-000000000000")).toBeUndefined();
    expect(await findSigningKey(database.db, "not-a-uuid")).toBeUndefined();
    expect(await findSigningKey(database.db, "'; DROP TABLE signing_key; --")).toBeUndefined();
  });
});
