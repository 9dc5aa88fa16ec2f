export * from "./loop-runner.js";
export * from "./loops/projection.js";
