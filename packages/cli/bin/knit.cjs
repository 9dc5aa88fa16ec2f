#!/usr/bin/env node
// Installed as the `knit` command: runs the bundle that `npm run build` makes (packages/cli/bundle.mjs).
//
// CommonJS, like the bundle: Node starts its ESM loader only for ESM, and that costs more than knit.
// The bundle is compiled here with the V8 code cache that the build made beside it, so the functions
// every command runs (commander's, knit's start) are not compiled again at each start: about a tenth
// of `knit version`'s CPU on Node 20 (Node 22's module.enableCompileCache does the same, but keeps
// its cache in a folder of its own at run time). A cache V8 does not accept (another Node version)
// is ignored and the bundle is compiled as usual.
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file */
const { readFileSync, writeFileSync } = require("node:fs");
const { createRequire, wrap } = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");

const bundle = join(__dirname, "..", "dist", "bundle", "knit.cjs");
const cacheFile = `${bundle}.cache`;
let source;
try {
  source = readFileSync(bundle, "utf8");
} catch {
  console.error("knit: not built yet; run `npm run build` at the repository root first");
  process.exit(1);
}
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // built without a cache: compile as usual
}
// The bundle has no import(): a script compiled like this could not run one.
const script = new vm.Script(wrap(source), { filename: bundle, cachedData });
// The build runs one command with this set to write the cache, after the command compiled what it used.
const writeCache = process.env.KNIT_BUILD_CODE_CACHE === cacheFile;
if (writeCache) process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
const bundleModule = { exports: {} };
script.runInThisContext().call(bundleModule.exports, bundleModule.exports, createRequire(bundle), bundleModule, bundle, dirname(bundle));
