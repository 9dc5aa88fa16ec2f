import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import viteConfig from "./vite.config.js";

// Runs only the console's tests (`npx vitest run -c packages/console/vitest.config.ts`), without the
// root config's database global setup, which the console does not need. It resolves modules as the
// console's build does (vite.config.ts: @knitfab/api from its sources). The tests start servers with
// the shared harness of the server's tests (knitfab/test-support) and Podman with @knitfab/testing,
// both from their sources.
const serverTestSupport = fileURLToPath(new URL("../server/test-support", import.meta.url));
const testingSource = fileURLToPath(new URL("../testing/src", import.meta.url));
export default mergeConfig(
  viteConfig,
  defineConfig({
    root: import.meta.dirname,
    resolve: {
      alias: [
        { find: /^knitfab\/test-support\/(.*)$/, replacement: `${serverTestSupport}/$1.ts` },
        { find: /^@knitfab\/testing\/(.*)$/, replacement: `${testingSource}/$1.ts` },
      ],
    },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 120_000,
      hookTimeout: 180_000,
      pool: "forks",
    },
  }),
);
