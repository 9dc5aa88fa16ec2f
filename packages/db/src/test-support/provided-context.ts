// What the test run's global setup (@knitfab/testing/global-setup) hands every test file through
// vitest's `provide`/`inject`. A file of its own, holding types only, so that the global setup can
// import it: the global setup runs outside the test context and must not load `vitest` itself.
declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a shared test PostgreSQL server, and the migrated template database name on it. */
    postgresUrl: string;
    postgresTemplate: string;
    /** A tarball of a migrated PGlite data folder (`dumpPgliteDataDir`), absent when no global setup made one. */
    pgliteTemplate?: string;
  }
}

export {};
