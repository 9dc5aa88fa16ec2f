import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { memoryToBytes } from "@knitfab/drivers";
import { checkBackendNames } from "./backends.js";
import { ConfigError } from "./config-error.js";
import { VERSION } from "./version.js";
import { resolveAccessConfig, type AccessConfig, type AccessFlags } from "./access-config.js";
import { ENGINE_LOOPS } from "@knitfab/engine";
import { labelKeyProblem, labelValueProblem, parseOnNodeLabel } from "@knitfab/domain";

// The loop roles are the engine's loops, by the same names: one list, the engine's.
export const ROLES = ["all", "api", "backend", ...ENGINE_LOOPS] as const;
export type Role = (typeof ROLES)[number];

export interface ServeConfig {
  home: string;
  port: number;
  listen: string;
  databaseUrl: string | undefined;
  roles: Set<Exclude<Role, "all">>;
  hooksFile: string | undefined;
  /** the data store by name (backends.ts): `local`, `pvc` */
  store: string;
  /** the worker runtime by name (backends.ts): `docker`, `kubernetes` */
  runtime: string;
  /** where the `kubernetes` runtime makes its workers (the other runtimes ignore it) */
  kubernetes: KubernetesConfig;
  logLevel: string;
  consoleDir: string | undefined;
  /** labels of this machine, matched against plans' on_node (flag values join KNITFAB_NODE_LABELS) */
  nodeLabels: Record<string, string>;
  /** Host names answered to besides loopback, this machine's name and the listen address; `*`: any */
  allowedHosts: string[];
  uploads: UploadConfig;
  /** the extra-API file (`--extra-apis`): paths forwarded to other servers */
  extraApisFile: string | undefined;
  /** below this many free bytes in the data store, a warning is logged and the metric says so */
  freeSpaceWarningBytes: number;
  /** API tokens and TLS (`--auth`, `--tls-cert`, ...) */
  access: AccessConfig;
}

export interface KubernetesConfig {
  /** a kubeconfig file; undefined: the in-cluster configuration (the server runs in a Pod) */
  kubeconfig: string | undefined;
  /** the workers' namespace; undefined: the kubeconfig context's, else `default` */
  namespace: string | undefined;
  /** the workers' PriorityClass; undefined: none */
  priorityClass: string | undefined;
  /** the `pvc` store's claims: their StorageClass (undefined: the cluster's default class) */
  storageClass: string | undefined;
  /** the `pvc` store's claims: the size each requests, a Kubernetes quantity such as 1Gi */
  dataSize: string;
  /** the `pvc` store's data agents: the server image they run (`knitfab data-agent`) */
  agentImage: string;
  /**
   * the log sidecar's service-account-token Secret; undefined: no sidecar (the server records logs
   * through the API). With it, workers of runs whose log is a claim write their log themselves
   * (`knitfab nurse` in the agent image).
   */
  nurseSecret: string | undefined;
}

/** Each Data's claim requests this much unless --data-size says otherwise (the reference's initial capacity). */
export const DEFAULT_DATA_SIZE = "1Gi";

/** Bounds on one upload (README, "Configuration"); undefined means unlimited. */
export interface UploadConfig {
  /** most bytes of file content one Data may unpack to */
  maxBytes: number | undefined;
  /** most entries (files, folders, links) in one Data */
  maxEntries: number | undefined;
  /** free space the data folder keeps: uploads that would leave less are refused */
  reserveBytes: number;
  /** accept uploads without an x-checksum-md5 trailer or header */
  allowUnchecked: boolean;
}

/** Defaults that stop a decompression bomb yet fit large ML datasets. */
export const DEFAULT_UPLOAD_LIMITS = { maxSize: "100Gi", maxEntries: "10000000", freeSpaceReserve: "1Gi" } as const;

export interface ServeFlags extends AccessFlags {
  home?: string;
  port?: string;
  listen?: string;
  databaseUrl?: string;
  role?: string;
  hooks?: string;
  store?: string;
  runtime?: string;
  logLevel?: string;
  console?: string;
  nodeLabel?: string[] | string;
  allowedHosts?: string;
  uploadMaxSize?: string;
  uploadMaxEntries?: string;
  freeSpaceReserve?: string;
  allowUncheckedUploads?: boolean;
  extraApis?: string;
  freeSpaceWarning?: string;
  kubeconfig?: string;
  namespace?: string;
  priorityClass?: string;
  storageClass?: string;
  dataSize?: string;
  agentImage?: string;
  nurseSecret?: string;
}

export { ConfigError };

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
  const reserveBytes = parseSize("--free-space-reserve", flags.freeSpaceReserve ?? env.KNITFAB_FREE_SPACE_RESERVE ?? DEFAULT_UPLOAD_LIMITS.freeSpaceReserve);
  const warningText = flags.freeSpaceWarning ?? env.KNITFAB_FREE_SPACE_WARNING;
  const backends = { store: flags.store ?? env.KNITFAB_STORE ?? "local", runtime: flags.runtime ?? env.KNITFAB_RUNTIME ?? "docker" };
  checkBackendNames(backends);
  const listen = flags.listen ?? env.KNITFAB_LISTEN ?? "127.0.0.1";
  const servesHttp = roles.has("api") || roles.has("backend");
  const access = resolveAccessConfig(flags, env, { address: listen, servesHttp }, (message) => {
    throw new ConfigError(message);
  });
  const kubernetes = resolveKubernetes(flags, env);
  // Outside a Pod the in-cluster configuration would only fail at the first upload: refused before anything opens.
  if (backends.store === "pvc" && kubernetes.kubeconfig === undefined && !env.KUBERNETES_SERVICE_HOST) {
    throw new ConfigError("--store pvc needs --kubeconfig FILE, or to run in a Pod of the cluster (in-cluster configuration)");
  }
  if (backends.store !== "pvc") {
    const given = [flags.storageClass ?? env.KNITFAB_STORAGE_CLASS ? "--storage-class" : "", flags.dataSize ?? env.KNITFAB_DATA_SIZE ? "--data-size" : ""].filter(Boolean);
    if (given.length > 0) throw new ConfigError(`${given.join(" and ")} apply to --store pvc only (the store is "${backends.store}")`);
  }
  // The sidecar writes into the log's claim from the worker's pod: a Job on claims, nothing else.
  if (kubernetes.nurseSecret !== undefined && (backends.store !== "pvc" || backends.runtime !== "kubernetes")) {
    throw new ConfigError(`--nurse-secret applies to --runtime kubernetes with --store pvc only (the runtime is "${backends.runtime}", the store "${backends.store}")`);
  }
  return {
    home,
    port,
    listen,
    access,
    databaseUrl: databaseUrl || undefined,
    roles,
    hooksFile: flags.hooks ?? env.KNITFAB_HOOKS,
    ...backends,
    kubernetes,
    logLevel: flags.logLevel ?? env.KNITFAB_LOG_LEVEL ?? "warn",
    consoleDir: flags.console ?? env.KNITFAB_CONSOLE_DIR,
    nodeLabels: parseLabels([...(env.KNITFAB_NODE_LABELS ? [env.KNITFAB_NODE_LABELS] : []), ...[flags.nodeLabel ?? []].flat()]),
    allowedHosts: (flags.allowedHosts ?? env.KNITFAB_ALLOWED_HOSTS ?? "").split(/[\s,]+/).filter(Boolean),
    uploads: {
      maxBytes: parseLimit("--upload-max-size", flags.uploadMaxSize ?? env.KNITFAB_UPLOAD_MAX_SIZE ?? DEFAULT_UPLOAD_LIMITS.maxSize, parseSize),
      maxEntries: parseLimit("--upload-max-entries", flags.uploadMaxEntries ?? env.KNITFAB_UPLOAD_MAX_ENTRIES ?? DEFAULT_UPLOAD_LIMITS.maxEntries, parseCount),
      reserveBytes,
      allowUnchecked: flags.allowUncheckedUploads ?? isTrue(env.KNITFAB_ALLOW_UNCHECKED_UPLOADS),
    },
    extraApisFile: flags.extraApis ?? env.KNITFAB_EXTRA_APIS,
    // by default twice the reserve: time to act while uploads still fit
    freeSpaceWarningBytes: warningText === undefined ? 2 * reserveBytes : parseSize("--free-space-warning", warningText),
  };
}

/** The kubernetes runtime's options, checked as the API server would (names) and for a readable kubeconfig. */
function resolveKubernetes(flags: ServeFlags, env: NodeJS.ProcessEnv): KubernetesConfig {
  const kubeconfigText = flags.kubeconfig ?? env.KNITFAB_KUBECONFIG;
  const kubeconfig = kubeconfigText ? resolve(kubeconfigText) : undefined;
  if (kubeconfig !== undefined && !existsSync(kubeconfig)) throw new ConfigError(`--kubeconfig "${kubeconfigText}" does not exist`);
  const namespace = flags.namespace ?? env.KNITFAB_NAMESPACE;
  // A namespace is a DNS label (RFC 1123), a PriorityClass name a DNS subdomain: refused here rather than at the first run.
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new ConfigError(`--namespace must be a Kubernetes namespace name (lower-case letters, digits and "-", at most 63), got "${namespace}"`);
  }
  const priorityClass = flags.priorityClass ?? env.KNITFAB_PRIORITY_CLASS;
  if (priorityClass !== undefined && (priorityClass.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(priorityClass))) {
    throw new ConfigError(`--priority-class must be a PriorityClass name (lower-case letters, digits, "-" and "."), got "${priorityClass}"`);
  }
  const storageClass = flags.storageClass ?? env.KNITFAB_STORAGE_CLASS;
  if (storageClass !== undefined && (storageClass.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(storageClass))) {
    throw new ConfigError(`--storage-class must be a StorageClass name (lower-case letters, digits, "-" and "."), got "${storageClass}"`);
  }
  const dataSize = (flags.dataSize ?? env.KNITFAB_DATA_SIZE ?? DEFAULT_DATA_SIZE).trim();
  // A Kubernetes quantity of at least one byte, checked here rather than by the API server at the first upload.
  if (!/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(dataSize) || parseSize("--data-size", dataSize) < 1) {
    throw new ConfigError(`--data-size must be a size such as 512Mi or 1Gi, got "${dataSize}"`);
  }
  const agentImage = (flags.agentImage ?? env.KNITFAB_AGENT_IMAGE ?? `localhost/knitfab-server:${VERSION}`).trim();
  if (agentImage === "" || /\s/.test(agentImage)) throw new ConfigError(`--agent-image must be an image reference such as registry.example/knitfab-server:${VERSION}, got "${agentImage}"`);
  const nurseSecret = (flags.nurseSecret ?? env.KNITFAB_NURSE_SECRET)?.trim();
  if (nurseSecret && (nurseSecret.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(nurseSecret))) {
    throw new ConfigError(`--nurse-secret must be a Secret name (lower-case letters, digits, "-" and "."), got "${nurseSecret}"`);
  }
  return {
    kubeconfig,
    namespace: namespace || undefined,
    priorityClass: priorityClass || undefined,
    storageClass: storageClass || undefined,
    dataSize,
    agentImage,
    nurseSecret: nurseSecret || undefined,
  };
}

/** A limit, or undefined for `unlimited`. */
function parseLimit(flag: string, text: string, parse: (flag: string, text: string) => number): number | undefined {
  return text.trim().toLowerCase() === "unlimited" ? undefined : parse(flag, text);
}

/** Bytes as a Kubernetes-style quantity: 500Mi, 100Gi, 1T, 1073741824. */
function parseSize(flag: string, text: string): number {
  let bytes: number;
  try {
    bytes = memoryToBytes(text);
  } catch {
    throw new ConfigError(`${flag} must be a size such as 512Mi, 100Gi or 1Ti (or a number of bytes), got "${text}"`);
  }
  if (!Number.isSafeInteger(bytes)) throw new ConfigError(`${flag} is too large, got "${text}"`);
  return bytes;
}

function parseCount(flag: string, text: string): number {
  const count = Number(text.trim());
  if (text.trim() === "" || !Number.isSafeInteger(count) || count < 0) {
    throw new ConfigError(`${flag} must be a whole number (or "unlimited"), got "${text}"`);
  }
  return count;
}

function isTrue(text: string | undefined): boolean {
  return text !== undefined && ["1", "true", "yes", "on"].includes(text.trim().toLowerCase());
}

/** `k=v` pairs, comma- or space-separated, in any number of values; later ones win. */
function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of values.flatMap((value) => value.split(/[\s,]+/)).filter(Boolean)) {
    // The same rules as a plan's on_node labels, which are matched against these.
    const label = entry.includes("=") ? parseOnNodeLabel(entry) : undefined;
    const problem = label === undefined ? "is not KEY=VALUE" : labelKeyProblem(label.key) ?? labelValueProblem(label.value);
    if (label === undefined || problem !== undefined) {
      throw new ConfigError(`--node-label "${entry}" ${label === undefined ? problem : `is not a Kubernetes label (${problem})`}; write for example --node-label gpu=a100`);
    }
    labels[label.key] = label.value;
  }
  return labels;
}
