import { createHash, randomBytes } from "node:crypto";
import { CHANNEL, findLiveApiToken, insertApiToken, touchApiTokens, type ApiTokenRecord, type Database } from "@knitfab/db";

/** Secrets start with this, so a leaked one is recognisable (secret scanners, logs). */
const TOKEN_PREFIX = "knitfab_";
/** 32 random bytes: 256 bits, nothing to guess. */
const SECRET_BYTES = 32;
/** The most a name may be (`knitfab admin token create --name`). */
export const MAX_TOKEN_NAME_BYTES = 200;

/** What is wrong with a token's name, or undefined. */
export function tokenNameProblem(name: string): string | undefined {
  if (Buffer.byteLength(name) > MAX_TOKEN_NAME_BYTES || [...name].some((character) => character.charCodeAt(0) < 0x20 || character === "\u007f")) {
    return `--name must be at most ${MAX_TOKEN_NAME_BYTES} bytes of printable text`;
  }
  return undefined;
}

/** A new token: the secret to hand out once, and its record (which keeps only the hash). */
export async function createApiToken(database: Database, name: string): Promise<{ secret: string; token: ApiTokenRecord }> {
  const problem = tokenNameProblem(name);
  if (problem) throw new Error(problem);
  const secret = TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString("base64url");
  const token = await insertApiToken(database.db, name, hashSecret(secret));
  return { secret, token };
}

/** SHA-256 of the secret: what the database keeps and what requests are looked up by. */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** Validates tokens of requests. */
export interface TokenVerifier {
  /** The id of the live token with this secret, or undefined. */
  verify(secret: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export interface TokenVerifierOptions {
  /**
   * How long a validated (or refused) secret is believed without asking the database again. A
   * revocation reaches every process sharing the database at once through NOTIFY; this bounds
   * how late it can be when a notification is lost (a listener reconnecting).
   */
  cacheMs?: number;
  /** How often last-use times are written (one statement for all tokens seen meanwhile). */
  touchEveryMs?: number;
}

/** The stated bound on how long a revoked token can still be accepted (README, "Access control"). */
export const TOKEN_CACHE_MS = 5_000;
const MAX_CACHED = 10_000;

/**
 * Token checks cost no database round trip when hot: a secret's hash is looked up once, then
 * believed for `cacheMs`. A revocation empties the cache of every process at once (NOTIFY).
 * Refused secrets are cached too, so a client retrying a wrong token does not reach the database
 * on every request; the cache is bounded, and a flood of random secrets only evicts entries.
 */
export async function createTokenVerifier(database: Database, options: TokenVerifierOptions = {}): Promise<TokenVerifier> {
  const cacheMs = options.cacheMs ?? TOKEN_CACHE_MS;
  const cache = new Map<string, { tokenId: string | undefined; until: number }>();
  const used = new Map<string, Date>();
  let generation = 0;
  const unlisten = await database.listen(CHANNEL.apiTokens, () => {
    generation++;
    cache.clear();
  });
  const flush = async () => {
    if (used.size === 0) return;
    const batch = new Map(used);
    used.clear();
    await touchApiTokens(database.db, batch).catch(() => {
      // last-use times are informative; a failed write is retried with the next batch
      for (const [id, at] of batch) if (!used.has(id)) used.set(id, at);
    });
  };
  const timer = setInterval(() => void flush(), options.touchEveryMs ?? 10_000);
  timer.unref();
  return {
    async verify(secret) {
      if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200) return undefined;
      const key = hashSecret(secret).toString("hex");
      const now = Date.now();
      const hit = cache.get(key);
      let tokenId: string | undefined;
      if (hit && hit.until > now) {
        tokenId = hit.tokenId;
      } else {
        const asked = generation;
        tokenId = await findLiveApiToken(database.db, Buffer.from(key, "hex"));
        // a revocation that arrived while we asked may concern this very token: do not cache it
        if (asked === generation) {
          if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
          cache.set(key, { tokenId, until: now + cacheMs });
        }
      }
      if (tokenId !== undefined) used.set(tokenId, new Date(now));
      return tokenId;
    },
    async stop() {
      clearInterval(timer);
      await unlisten();
      await flush();
    },
  };
}
