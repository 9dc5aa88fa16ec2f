import {
  listApiTokens,
  revokeApiToken,
  type ApiTokenRecord,
  beginFreeze,
  countUnsettledRuns,
  dumpDatabase,
  liftFreeze,
  markFrozen,
  readFreeze,
  stopRunsForFreeze,
  type Database,
  type DumpSink,
  type DumpSummary,
  type FreezeRecord,
  type FrozenBy,
  type LiftReport,
} from "@knitfab/db";
import { createApiToken } from "./tokens.js";

/** A freeze as it travels (JSON): see FreezeRecord. */
export interface FreezeView {
  state: "freezing" | "frozen";
  frozenAt: string;
  frozenBy: FrozenBy;
  stoppedRuns: number;
}

export interface StatusReport {
  freeze: FreezeView | undefined;
  /** runs ready, starting, running, aborting or completing */
  unsettledRuns: number;
}

export interface FreezeOutcome {
  freeze: FreezeView;
  /** this call froze the system (false: it was frozen already) */
  created: boolean;
  /** runs still ending; 0 once the freeze is complete */
  unsettledRuns: number;
}

export interface FreezeRequest {
  by: FrozenBy;
  /** wait until every stopped run has ended (else return at once, state `freezing`) */
  wait: boolean;
}

/** An API token as it travels (JSON): never its secret. */
export interface TokenView {
  id: string;
  name: string;
  created: string;
  lastUsed: string | null;
  revoked: string | null;
}

export function tokenView(token: ApiTokenRecord): TokenView {
  return {
    id: token.tokenId,
    name: token.name,
    created: token.createdAt.toISOString(),
    lastUsed: token.lastUsedAt?.toISOString() ?? null,
    revoked: token.revokedAt?.toISOString() ?? null,
  };
}

/**
 * What `knitfab admin` does to a database: the same whether this process opened it or a running
 * server does it for us over its admin socket (PGlite: see control-socket.ts).
 */
export interface AdminOperations {
  status(): Promise<StatusReport>;
  freeze(request: FreezeRequest, progress: (message: string) => void, signal?: AbortSignal): Promise<FreezeOutcome>;
  /** With `onlyBy`, a freeze made by someone else is left alone. */
  unfreeze(onlyBy: FrozenBy | undefined): Promise<LiftReport>;
  dump(sink: DumpSink): Promise<DumpSummary>;
  /** A new API token: its secret (shown once) and what is stored of it. */
  createToken(name: string): Promise<{ secret: string; token: TokenView }>;
  listTokens(): Promise<TokenView[]>;
  /** undefined when no token has that id */
  revokeToken(id: string): Promise<TokenView | undefined>;
}

export function viewOf(freeze: FreezeRecord): FreezeView {
  return { state: freeze.state, frozenAt: freeze.frozenAt.toISOString(), frozenBy: freeze.frozenBy, stoppedRuns: freeze.stoppedRuns };
}

const POLL_MS = 500;

/** The operations on a database this process holds. */
export function databaseOperations(database: Database, options: { pollMs?: number } = {}): AdminOperations {
  const pollMs = options.pollMs ?? POLL_MS;
  return {
    async status() {
      const freeze = await readFreeze(database.db);
      return { freeze: freeze ? viewOf(freeze) : undefined, unsettledRuns: await countUnsettledRuns(database.db) };
    },

    /**
     * The reference's system-freeze.sh, as steps each safe to repeat: record the freeze (the loops
     * and the API stop taking new work), stop the runs that are ready, starting or running, wait
     * until every run has ended, then mark the freeze complete. Killed anywhere, running it again goes
     * on from there; the freeze is in force from its first step.
     */
    async freeze(request, progress, signal) {
      const { freeze, created } = await beginFreeze(database, request.by);
      progress(
        created
          ? `frozen since ${freeze.frozenAt.toISOString()}: no run is created or started, and the API refuses writes (503)`
          : `already frozen since ${freeze.frozenAt.toISOString()} (by ${freeze.frozenBy === "admin" ? "an administrator" : "a backup"})`,
      );
      let reported = -1;
      for (;;) {
        const stopped = await stopRunsForFreeze(database);
        if (stopped > 0) progress(`stopped ${stopped} run(s) that were ready, starting or running (unfreeze retries them)`);
        const unsettled = await countUnsettledRuns(database.db);
        if (unsettled === 0) {
          await markFrozen(database.db);
          break;
        }
        if (!request.wait || signal?.aborted) {
          const now = await readFreeze(database.db);
          return { freeze: viewOf(now ?? freeze), created, unsettledRuns: unsettled };
        }
        if (unsettled !== reported) progress(`waiting for ${unsettled} run(s) to end`);
        reported = unsettled;
        await sleep(pollMs, signal);
      }
      const done = await readFreeze(database.db);
      if (!done) throw new Error("the freeze was lifted by someone else while it was being made");
      return { freeze: viewOf(done), created, unsettledRuns: 0 };
    },

    unfreeze: (onlyBy) => liftFreeze(database, onlyBy),
    dump: (sink) => dumpDatabase(database, sink),
    async createToken(name) {
      const { secret, token } = await createApiToken(database, name);
      return { secret, token: tokenView(token) };
    },
    listTokens: async () => (await listApiTokens(database.db)).map(tokenView),
    async revokeToken(id) {
      const revoked = await revokeApiToken(database.db, id);
      return revoked ? tokenView(revoked) : undefined;
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
