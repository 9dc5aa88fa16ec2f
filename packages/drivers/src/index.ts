export * from "./runtime/index.js";
export * from "./store/index.js";
export * from "./volume.js";
export * from "./vex/index.js";
