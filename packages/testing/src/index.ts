export * from "./postgres-server.js";
export * from "./test-database.js";
export * from "./test-server.js";
export * from "./http-client.js";
export * from "./raw-tar.js";
export * from "./stored-state.js";
