import type { Database } from "@knitfab/db";
import type { DataStore, UnhonouredPlanSettings } from "@knitfab/drivers";
import type { ServerMetrics } from "../monitoring/metrics.js";
import type { ExtraApiEndpoint } from "../extra-apis-file.js";
import type { HostRules } from "./request-origin.js";
import type { AccessControl } from "./auth.js";
import type { UploadPolicy } from "./routes/transfer.js";

/**
 * What the HTTP app is built from. Its own module, so that route files take their options from
 * here and never import the app that imports them.
 */
export interface AppOptions {
  database: Database;
  store: DataStore;
  /** live logs of running workers; absent when no worker runtime is configured */
  logSource?: RunLogSource;
  /** what the configured runtime cannot honour of a plan, told when it is applied; nothing by default */
  unhonouredPlanSettings?: UnhonouredPlanSettings;
  /** folder with the built web console; absent to serve none */
  consoleDir?: string;
  logger?: boolean | { level: string };
  version: string;
  /** how uploads are checked; by default a checksum is required */
  uploads?: UploadPolicy;
  /** which route sets to serve: the public API (`/api`) and/or the backend (`/api/backend`); both by default */
  serve?: { api: boolean; backend: boolean };
  /** the Host names to answer to; by default loopback and this machine's name */
  hosts?: HostRules;
  /** Prometheus metrics to serve at /metrics and to time requests into; none by default */
  metrics?: ServerMetrics;
  /** paths forwarded to other servers (--extra-apis) */
  extraApis?: readonly ExtraApiEndpoint[];
  /**
   * Check every JSON body against its route's response schema before it is sent: a body that does
   * not match is told here, logged as an error and answered with a 500. For tests: it costs a
   * validation per response.
   */
  checkResponses?: (breach: string) => void;
  /** API tokens required (`--auth tokens`); absent: anyone may ask */
  accessControl?: AccessControl;
  /** serve HTTPS with this certificate and key (PEM); `app.server` is then an https.Server */
  https?: { cert: string; key: string };
}

/** Where live logs come from (the worker runtime); the stored log is read from the log Data. */
export interface RunLogSource {
  /** A live stream of the worker's output, ending when the worker ends; undefined if no worker exists. */
  follow(runId: string): Promise<NodeJS.ReadableStream | undefined>;
}
