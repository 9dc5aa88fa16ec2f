import { readFileSync } from "node:fs";
import { defineConfig } from "vite";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// JSX goes through esbuild's automatic runtime; no React plugin is needed for a production build.
export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic" },
  define: { __KNITFAB_VERSION__: JSON.stringify(version) },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  server: { proxy: { "/api": process.env.KNITFAB_API ?? "http://127.0.0.1:8080" } },
});
