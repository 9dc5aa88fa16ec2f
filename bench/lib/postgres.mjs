// The real PostgreSQL the test suites use (initdb + pg_ctl in a temporary folder, on a free port),
// from the built testing package: run `npm run build` at the repository root first.
export { startPostgresServer } from "@knitfab/testing/postgres-server";
export { freePort } from "@knitfab/testing/free-port";
