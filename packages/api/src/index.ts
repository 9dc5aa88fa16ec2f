/**
 * @knitfab/api: the one wire contract of the Knitfab API (spec/api.md). TypeBox schemas and their
 * types for every request and response; browser-safe (no Node built-ins), so the server, the
 * engine's hooks, the CLI and the console can all take their shapes from here.
 */
export * from "./formats.js";
export * from "./run-status.js";
export * from "./strict-object.js";
export * from "./plan-json.js";
export * from "./run-json.js";
export * from "./data-json.js";
export * from "./errors.js";
export * from "./requests.js";
export * from "./queries.js";
export * from "./transfer.js";
export * from "./hooks.js";
export * from "./endpoints.js";
export * from "./data-files.js";
export * from "./run-timeline.js";
export * from "./presenter-input.js";
export * from "./presenters.js";
