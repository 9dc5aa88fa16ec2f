// What every user of the drivers needs, and nothing heavy: the runtime and store interfaces, their
// errors, the local store and the pure helpers. The container clients have entries of their own,
// loaded only by the server that uses them: `@knitfab/drivers/docker`, `@knitfab/drivers/kubernetes`.
export * from "./runtime/index.js";
export * from "./store/index.js";
export * from "./volume.js";
