import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { createTestPostgresDatabase } from "./test-support/index.js";

describe("a PostgreSQL database opened by the server", () => {
  it("plans every pooled connection's statements without parallel workers", async () => {
    const { url } = await createTestPostgresDatabase();
    const database = await openDatabase({ url, poolSize: 3 });
    try {
      // Three at once, each holding its connection for a moment: three different connections.
      const answers = await Promise.all(
        [1, 2, 3].map(async () =>
          (
            await sql<{ workers: string; pid: number }>`
              SELECT current_setting('max_parallel_workers_per_gather') AS workers, pg_backend_pid() AS pid, pg_sleep(0.2)`.execute(database.db)
          ).rows[0],
        ),
      );
      expect(new Set(answers.map((answer) => answer?.pid)).size).toBe(3);
      expect(answers.map((answer) => answer?.workers)).toEqual(["0", "0", "0"]);
    } finally {
      await database.close();
    }
  });
});
