import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { pingDatabase } from "./ping.js";

/** pingDatabase (the readiness check): answers while the database does, throws once it is gone. */
describe.each(BACKENDS)("pinging the database on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close().catch(() => undefined);
  });

  it("answers while the database is open, and throws once it is closed", async () => {
    await expect(pingDatabase(database.db)).resolves.toBeUndefined();
    await database.close();
    await expect(pingDatabase(database.db)).rejects.toThrow();
  });
});
