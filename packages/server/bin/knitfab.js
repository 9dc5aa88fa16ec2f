#!/usr/bin/env node
// Installed as the `knitfab` command; the program itself is compiled to dist/ by `npm run build`.
import { existsSync } from "node:fs";

const entry = new URL("../dist/bin/knitfab.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("knitfab: not built yet; run `npm run build` at the repository root first");
  process.exit(1);
}
await import(entry.href);
