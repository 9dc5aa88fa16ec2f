import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { findLiveApiToken, insertApiToken, listApiTokens, revokeApiToken, touchApiTokens } from "./api-tokens.js";

const hashOf = (secret: string) => createHash("sha256").update(secret).digest();

/** API tokens at the db layer (`knitfab admin token`): kept by hash, listed, found while live, revoked once, last use noted. */
describe.each(BACKENDS)("API tokens on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("finds a live token by the hash of its secret, and no other secret", async () => {
    const token = await insertApiToken(database.db, "ci", hashOf("secret-ci"));
    expect(token).toMatchObject({ name: "ci", lastUsedAt: undefined, revokedAt: undefined });
    expect(await findLiveApiToken(database.db, hashOf("secret-ci"))).toBe(token.tokenId);
    expect(await findLiveApiToken(database.db, hashOf("secret-other"))).toBeUndefined();
  });

  it("revokes by id once: the token stops being found, a second revoke keeps the first time, unknown ids give nothing", async () => {
    const token = await insertApiToken(database.db, "revoked", hashOf("secret-revoked"));
    const other = await insertApiToken(database.db, "kept", hashOf("secret-kept"));
    const first = await revokeApiToken(database.db, token.tokenId.toUpperCase());
    expect(first?.revokedAt).toBeInstanceOf(Date);
    expect(await findLiveApiToken(database.db, hashOf("secret-revoked"))).toBeUndefined();
    expect((await revokeApiToken(database.db, token.tokenId))?.revokedAt).toEqual(first!.revokedAt);
    expect(await revokeApiToken(database.db, "00000000-0000-4000-8000-000000000000")).toBeUndefined();
    expect(await revokeApiToken(database.db, "not-an-id")).toBeUndefined();
    expect(await findLiveApiToken(database.db, hashOf("secret-kept"))).toBe(other.tokenId);
  });

  it("lists every token oldest first, revoked included, without secrets", async () => {
    const listed = await listApiTokens(database.db);
    expect(listed.map((token) => token.name)).toEqual(["ci", "revoked", "kept"]);
    expect(listed[1]!.revokedAt).toBeInstanceOf(Date);
    expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "lastUsedAt", "name", "revokedAt", "tokenId"]);
  });

  it("notes the latest use, never going back in time", async () => {
    const token = await insertApiToken(database.db, "used", hashOf("secret-used"));
    const lastUse = async () => (await listApiTokens(database.db)).find((listed) => listed.tokenId === token.tokenId)!.lastUsedAt;
    await touchApiTokens(database.db, new Map([[token.tokenId, new Date("2030-01-02T00:00:00Z")]]));
    expect(await lastUse()).toEqual(new Date("2030-01-02T00:00:00Z"));
    await touchApiTokens(database.db, new Map([[token.tokenId, new Date("2030-01-01T00:00:00Z")]]));
    expect(await lastUse()).toEqual(new Date("2030-01-02T00:00:00Z"));
    await touchApiTokens(database.db, new Map());
  });
});
