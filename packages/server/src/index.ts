export * from "./config.js";
export * from "./serve.js";
export * from "./handout.js";
export * from "./http/app.js";
export * from "./version.js";
export * from "./backends.js";
