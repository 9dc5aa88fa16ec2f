/**
 * The one test-server harness, shared by the server's, the CLI's and the console's tests (imported
 * as `knitfab/test-support`). It lives in the server package, so the server-independent helpers of
 * `@knitfab/testing` need not depend on the server.
 */
export * from "./test-server.js";
export * from "./serve-process.js";
export * from "./api.js";
