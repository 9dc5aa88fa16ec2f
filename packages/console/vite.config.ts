import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const apiSource = fileURLToPath(new URL("../api/src", import.meta.url));
const domainSource = fileURLToPath(new URL("../domain/src", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// JSX goes through esbuild's automatic runtime; no React plugin is needed for a production build.
export default defineConfig({
  base: "./",
  // The wire contract and the domain's rules from their TypeScript sources (as the root vitest config
  // does), so a console build never takes a stale build of them. Views import values only from the
  // contract's TypeBox-free modules (`@knitfab/api/run-statuses`) and types from the rest, which
  // leave nothing in the bundle; the domain is browser-safe (its browser-safe.test.ts).
  resolve: {
    alias: [
      { find: /^@knitfab\/api$/, replacement: `${apiSource}/index.ts` },
      { find: /^@knitfab\/api\/(.*)$/, replacement: `${apiSource}/$1.ts` },
      { find: /^@knitfab\/domain$/, replacement: `${domainSource}/index.ts` },
      { find: /^@knitfab\/domain\/(.*)$/, replacement: `${domainSource}/$1.ts` },
    ],
  },
  esbuild: { jsx: "automatic" },
  define: { __KNITFAB_VERSION__: JSON.stringify(version) },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  server: { proxy: { "/api": process.env.KNITFAB_API ?? "http://127.0.0.1:8080" } },
});
