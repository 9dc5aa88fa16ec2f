// The real PostgreSQL the test suites use (initdb + pg_ctl in a temporary folder, on a free port),
// from the built testing package: run `npm run build` at the repository root first.
export { startPostgresServer } from "@knitfab/testing/postgres-server";
export { freePort } from "@knitfab/testing/free-port";

/**
 * A new, empty database on `postgres` (a server of startPostgresServer) named `name`; returns its
 * URL and a `drop()` that removes it again, so one server can hold several sizes one after another.
 */
export async function freshDatabase(postgres, name) {
  const { default: pg } = await import("pg");
  const admin = async (statement) => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  return { url: postgres.databaseUrl(name), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
