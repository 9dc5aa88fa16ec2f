import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const packageSource = (name: string) => fileURLToPath(new URL(`./packages/${name}/src`, import.meta.url));

// Tests import workspace packages from their TypeScript sources, so a test run never depends on a stale build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@knitfab\/(api|domain|db|archive|drivers|engine|testing|kube-testing|cli)$/, replacement: `${packageSource("$1")}/index.ts` },
      { find: /^@knitfab\/(api|domain|db|archive|drivers|engine|testing|kube-testing|cli)\/(.*)$/, replacement: `${packageSource("$1")}/$2.ts` },
      // the shared test-server harness (packages/server/test-support), for the server's, the CLI's and the console's tests
      { find: /^knitfab\/test-support$/, replacement: fileURLToPath(new URL("./packages/server/test-support/index.ts", import.meta.url)) },
      { find: /^knitfab\/test-support\/(.*)$/, replacement: `${fileURLToPath(new URL("./packages/server/test-support", import.meta.url))}/$1.ts` },
      { find: /^knitfab$/, replacement: `${packageSource("server")}/index.ts` },
      { find: /^knitfab\/(.*)$/, replacement: `${packageSource("server")}/$1.ts` },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "scripts/**/*.test.mjs"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["./packages/testing/src/global-setup.ts"],
    reporters: ["default", "./packages/testing/src/summary-reporter.ts"],
  },
});
