#!/usr/bin/env node
// Installed as the `knit` command; the program itself is compiled to dist/ by `npm run build`.
import { existsSync } from "node:fs";

const entry = new URL("../dist/bin/knit.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("knit: not built yet; run `npm run build` at the repository root first");
  process.exit(1);
}
await import(entry.href);
