export * from "./claim.js";
export * from "./record.js";
export * from "./worker.js";
export * from "./garbage.js";
export * from "./agents.js";
