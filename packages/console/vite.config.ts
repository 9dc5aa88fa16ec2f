import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const apiSource = fileURLToPath(new URL("../api/src", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// JSX goes through esbuild's automatic runtime; no React plugin is needed for a production build.
export default defineConfig({
  base: "./",
  // The wire contract from its TypeScript sources (as the root vitest config does), so a console build
  // never takes a stale build of it. Views import values only from its TypeBox-free modules
  // (`@knitfab/api/run-statuses`) and types from the rest, which leave nothing in the bundle.
  resolve: {
    alias: [
      { find: /^@knitfab\/api$/, replacement: `${apiSource}/index.ts` },
      { find: /^@knitfab\/api\/(.*)$/, replacement: `${apiSource}/$1.ts` },
    ],
  },
  esbuild: { jsx: "automatic" },
  define: { __KNITFAB_VERSION__: JSON.stringify(version) },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  server: { proxy: { "/api": process.env.KNITFAB_API ?? "http://127.0.0.1:8080" } },
});
