// Test helpers of the db layer: a fresh migrated database per test (either backend) and records
// made directly at the db layer. Not part of the package's API (its index leaves them out); the
// shared test harness, @knitfab/testing, re-exports them for the other packages' tests.
export * from "./test-database.js";
export * from "./db-fixtures.js";
