// Server-independent test helpers: databases, HTTP calls, Podman, stored state. The test-server
// harness, which needs the server, is `knitfab/test-support` (packages/server/test-support).
export * from "./free-port.js";
export * from "./postgres-server.js";
export * from "./test-database.js";
export * from "./http-client.js";
export * from "./podman.js";
export * from "./stored-state.js";
export * from "./db-fixtures.js";
export * from "./engine-fixtures.js";
