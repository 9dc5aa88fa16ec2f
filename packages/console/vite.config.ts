import { defineConfig } from "vite";

// JSX goes through esbuild's automatic runtime; no React plugin is needed for a production build.
export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic" },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  server: { proxy: { "/api": process.env.KNITFAB_API ?? "http://127.0.0.1:8080" } },
});
