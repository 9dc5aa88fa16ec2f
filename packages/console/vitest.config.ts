import { defineConfig } from "vitest/config";

// Runs only the console's tests (`npx vitest run -c packages/console/vitest.config.ts`), without the
// root config's database global setup, which the console does not need.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
