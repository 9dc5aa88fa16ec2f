import type { FastifyInstance } from "fastify";
import { readFreeze, type Database } from "@knitfab/db";

/** Methods that only read; everything else under /api writes and waits for the freeze to end. */
const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * While the system is frozen (`knitfab admin freeze`, or a backup) every request under /api that may
 * change something is answered 503 with a JSON message saying since when; reads keep working. The
 * freeze is read from the database on each such request, so it holds for every process sharing it
 * from the moment it is committed.
 */
export function installFrozenGuard(app: FastifyInstance, database: Database): void {
  app.addHook("onRequest", async (request, reply) => {
    if (READS.has(request.method) || !(request.url === "/api" || request.url.startsWith("/api/"))) return;
    const freeze = await readFreeze(database.db);
    if (!freeze) return;
    const since = freeze.frozenAt.toISOString();
    return reply
      .status(503)
      .header("retry-after", "60")
      .send({
        message:
          `knitfab is frozen since ${since} (${freeze.frozenBy === "backup" ? "a backup is being taken" : "by an administrator"}): ` +
          "reads keep working, but nothing can be changed until it is unfrozen (knitfab admin unfreeze)",
        frozen: { since, by: freeze.frozenBy },
      });
  });
}
