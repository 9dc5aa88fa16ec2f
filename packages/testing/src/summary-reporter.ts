import { writeSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends a test run with the plain line "tests: N passed, N failed[, N skipped]", which tools that
 * read test output understand whatever the runner.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
    }
    const line = `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    // printed on exit so that it is the very last line, after the default reporter's summary
    process.once("exit", () => writeSync(1, `\n${line}\n`));
  }
}
