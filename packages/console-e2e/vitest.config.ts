import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Runs only the console's end-to-end tests (`npx vitest run -c packages/console-e2e/vitest.config.ts`),
// without the root config's database global setup, which they do not need (the server they start
// uses its home's PGlite). The tests start servers with the shared harness of the server's tests
// (knitfab/test-support) and Podman with @knitfab/testing, both from their sources.
const serverTestSupport = fileURLToPath(new URL("../server/test-support", import.meta.url));
const testingSource = fileURLToPath(new URL("../testing/src", import.meta.url));
export default defineConfig({
  root: import.meta.dirname,
  resolve: {
    alias: [
      { find: /^knitfab\/test-support\/(.*)$/, replacement: `${serverTestSupport}/$1.ts` },
      { find: /^@knitfab\/testing\/(.*)$/, replacement: `${testingSource}/$1.ts` },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
