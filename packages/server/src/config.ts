import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const LOOP_ROLES = ["projection", "initialize", "run-management", "finishing", "garbage-collection", "housekeeping"] as const;
export type LoopRole = (typeof LOOP_ROLES)[number];
export const ROLES = ["all", "api", "backend", ...LOOP_ROLES] as const;
export type Role = (typeof ROLES)[number];

export interface ServeConfig {
  home: string;
  port: number;
  listen: string;
  databaseUrl: string | undefined;
  roles: Set<Exclude<Role, "all">>;
  hooksFile: string | undefined;
  runtime: string;
  logLevel: string;
  consoleDir: string | undefined;
  /** labels of this machine, matched against plans' on_node (flag values join KNITFAB_NODE_LABELS) */
  nodeLabels: Record<string, string>;
  /** Host names answered to besides loopback, this machine's name and the listen address; `*`: any */
  allowedHosts: string[];
}

export interface ServeFlags {
  home?: string;
  port?: string;
  listen?: string;
  databaseUrl?: string;
  role?: string;
  hooks?: string;
  runtime?: string;
  logLevel?: string;
  console?: string;
  nodeLabel?: string[] | string;
  allowedHosts?: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Flags win over environment variables, which win over defaults. Validated once, here. */
export function resolveServeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const home = resolve(flags.home ?? env.KNITFAB_HOME ?? join(homedir(), ".knitfab"));
  const portText = flags.port ?? env.KNITFAB_PORT ?? "30803";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a TCP port number (0-65535), got "${portText}"`);
  const roleText = flags.role ?? env.KNITFAB_ROLE ?? "all";
  const roles = new Set<Exclude<Role, "all">>();
  for (const name of roleText.split(",").map((item) => item.trim()).filter(Boolean)) {
    if (!(ROLES as readonly string[]).includes(name)) {
      throw new ConfigError(`--role "${name}" is unknown; use one or more (comma-separated) of: ${ROLES.join(", ")}`);
    }
    if (name === "all") {
      for (const role of ROLES) if (role !== "all") roles.add(role);
    }
    else roles.add(name as Exclude<Role, "all">);
  }
  const databaseUrl = flags.databaseUrl ?? env.KNITFAB_DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`--database-url must be a postgres:// URL, got "${databaseUrl}"`);
  }
  return {
    home,
    port,
    listen: flags.listen ?? env.KNITFAB_LISTEN ?? "127.0.0.1",
    databaseUrl: databaseUrl || undefined,
    roles,
    hooksFile: flags.hooks ?? env.KNITFAB_HOOKS,
    runtime: flags.runtime ?? env.KNITFAB_RUNTIME ?? "docker",
    logLevel: flags.logLevel ?? env.KNITFAB_LOG_LEVEL ?? "warn",
    consoleDir: flags.console ?? env.KNITFAB_CONSOLE_DIR,
    nodeLabels: parseLabels([...(env.KNITFAB_NODE_LABELS ? [env.KNITFAB_NODE_LABELS] : []), ...[flags.nodeLabel ?? []].flat()]),
    allowedHosts: (flags.allowedHosts ?? env.KNITFAB_ALLOWED_HOSTS ?? "").split(/[\s,]+/).filter(Boolean),
  };
}

/** `k=v` pairs, comma- or space-separated, in any number of values; later ones win. */
function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of values.flatMap((value) => value.split(/[\s,]+/)).filter(Boolean)) {
    const at = entry.indexOf("=");
    if (at <= 0) throw new ConfigError(`--node-label "${entry}" is not KEY=VALUE; write for example --node-label gpu=a100`);
    labels[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return labels;
}
