import { defineConfig, mergeConfig } from "vitest/config";
import viteConfig from "./vite.config.js";

// Runs only the console's tests (`npx vitest run -c packages/console/vitest.config.ts`), without the
// root config's database global setup, which the console does not need. It resolves modules as the
// console's build does (vite.config.ts: @knitfab/api from its sources). The end-to-end tests, which
// need the server, are in packages/console-e2e.
export default mergeConfig(
  viteConfig,
  defineConfig({
    root: import.meta.dirname,
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 120_000,
      hookTimeout: 180_000,
      pool: "forks",
    },
  }),
);
