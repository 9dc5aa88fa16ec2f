// Server-independent test helpers: databases (the db package's own test helpers, re-exported, so
// that db's tests need nothing from here), HTTP calls, Podman, stored state. The test-server harness,
// which needs the server, is `knitfab/test-support` (packages/server/test-support).
export * from "./free-port.js";
export * from "./postgres-server.js";
export * from "@knitfab/db/test-support/index";
export * from "./http-client.js";
export * from "./podman.js";
export * from "./stored-state.js";
export * from "./engine-fixtures.js";
