#!/usr/bin/env node
import { processIo } from "../cli/io.js";
import { main } from "../main.js";

// No top-level await: the bundle is CommonJS (see bundle.mjs), which has none.
void main(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
