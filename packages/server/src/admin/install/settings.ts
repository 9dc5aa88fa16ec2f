/**
 * The settings folder of `knitfab admin install` (the reference installer's --prepare): what the
 * administrator edits and keeps. Layout:
 *   namespace, hosts            the namespace; the addresses users reach the nodes by (one a line)
 *   kubeconfig                  a copy of --kubeconfig, when given
 *   values/knitfab.yaml         chart values (charts/knitfab/values.yaml lists every key)
 *   values/hooks.yaml, values/extra-api.yaml   lifecycle hooks and extra APIs
 *   values/certs.yaml           the TLS material as chart values (base64), unless --no-tls
 *   certs/                      ca.crt, ca.key (generated only), server.crt, server.key
 *   handouts/                   written after an install: knitprofile, docker/certs.d/<host:port>/ca.crt
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { stringify, parse } from "yaml";
import { handoutText } from "../../handout.js";
import { loadTls } from "../../tls.js";
import { generateTls } from "../tls-commands.js";
import { InstallError } from "./tools.js";

export const VALUE_FILES = ["values/knitfab.yaml", "values/hooks.yaml", "values/extra-api.yaml"] as const;
export const CERT_VALUES = "values/certs.yaml";

export interface OwnTls {
  cert: string;
  key: string;
  /** the CA users trust; the certificate itself (self-signed) when absent */
  ca?: string;
}

export interface PrepareOptions {
  namespace: string;
  /** addresses users reach the nodes by: the certificate's names and the handout's host */
  hosts: readonly string[];
  /** false: plain HTTP; an OwnTls: the administrator's files; true: generate a CA and certificate */
  tls: boolean | OwnTls;
  kubeconfig?: string;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

export const isPrepared = (dir: string): Promise<boolean> => exists(join(dir, VALUE_FILES[0]));

/**
 * Writes a new settings folder. DIR must be missing or empty: everything is written beside it and
 * moved into place at the end, so a failure (bad certificates, no openssl) leaves nothing behind.
 */
export async function prepareSettings(dir: string, options: PrepareOptions): Promise<void> {
  const target = resolve(dir);
  if (await exists(target)) {
    if (await isPrepared(target)) throw new InstallError(`${target} holds settings already (edit them, or choose another folder); nothing was changed`);
    if ((await readdir(target)).length > 0) throw new InstallError(`${target} is not empty: choose a new or empty folder for the settings; nothing was changed`);
  }
  if (options.hosts.length === 0) throw new InstallError("no address to reach the cluster's nodes by: give --host (a node's IP address or name)");
  const work = `${target}.partial-${process.pid}`;
  await mkdir(dirname(target), { recursive: true });
  await mkdir(join(work, "values"), { recursive: true, mode: 0o700 });
  try {
    await writeFile(join(work, "namespace"), `${options.namespace}\n`);
    await writeFile(join(work, "hosts"), options.hosts.map((host) => `${host}\n`).join(""));
    if (options.kubeconfig) await copyFile(options.kubeconfig, join(work, "kubeconfig"));
    await writeFile(join(work, "values/knitfab.yaml"), knitfabValues(), { mode: 0o600 });
    await writeFile(join(work, "values/hooks.yaml"), "# lifecycle hooks: URLs called before a run starts and after it ends\nhooks:\n  lifecycle-hooks:\n    before: []\n    after: []\n");
    await writeFile(
      join(work, "values/extra-api.yaml"),
      "# extra APIs: requests to each path (and below) go to proxy_to\n# extraApi:\n#   endpoints:\n#     - {path: /my-api, proxy_to: http://my-service.my-namespace.svc}\nextraApi:\n  endpoints: []\n",
    );
    if (options.tls !== false) await prepareTls(work, options.hosts, options.tls);
    await writeFile(join(work, "README.md"), README);
    // rename replaces an empty folder
    await rename(work, target);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error instanceof Error && !(error instanceof InstallError) ? new InstallError(error.message) : error;
  }
}

function knitfabValues(): string {
  // base64url: the password may go into a URL unquoted
  const password = randomBytes(32).toString("base64url");
  return [
    "# Values of the knitfab chart for this installation; charts/knitfab/values.yaml lists every key.",
    "imageRepository: \"\"          # where the knitfab-server image is, e.g. registry.example:5000/knitfab",
    "image:",
    "  tag: \"\"                    # default: the chart's version",
    "knitd:",
    "  port: 30803                # NodePort of the API",
    "imageRegistry:",
    "  use: true",
    "  port: 30503                # NodePort of the in-cluster registry",
    "vex:",
    "  use: false",
    "storage:",
    "  create: true               # false: use existing StorageClasses named by storage.class.data/system",
    "database:",
    "  external: false            # true: set database.externalUrl or database.externalSecret",
    "  credential:",
    `    password: ${password}`,
    "",
  ].join("\n");
}

async function prepareTls(work: string, hosts: readonly string[], tls: true | OwnTls): Promise<void> {
  const certs = join(work, "certs");
  if (tls === true) {
    await generateTls(certs, hosts);
  } else {
    await loadTls({ certFile: tls.cert, keyFile: tls.key, caFile: tls.ca }).catch((error: Error) => {
      throw new InstallError(error.message);
    });
    await mkdir(certs, { recursive: true, mode: 0o700 });
    await copyFile(tls.cert, join(certs, "server.crt"));
    await copyFile(tls.key, join(certs, "server.key"));
    await copyFile(tls.ca ?? tls.cert, join(certs, "ca.crt"));
  }
  const base64 = async (name: string) => (await readFile(join(certs, name))).toString("base64");
  await writeFile(
    join(work, CERT_VALUES),
    stringify({ certs: { cert: await base64("server.crt"), key: await base64("server.key"), cacert: await base64("ca.crt") } }),
    { mode: 0o600 },
  );
}

export interface Settings {
  dir: string;
  namespace: string;
  hosts: string[];
  /** the settings' kubeconfig copy, when there is one */
  kubeconfig: string | undefined;
  /** the value files to give helm, in order */
  valueFiles: string[];
  tls: boolean;
  /** the NodePorts the values set (or the chart's defaults) */
  apiPort: number;
  registryPort: number | undefined;
}

export async function readSettings(dir: string): Promise<Settings> {
  const root = resolve(dir);
  if (!(await isPrepared(root))) throw new InstallError(`${root} holds no settings: run knitfab admin install --prepare --settings ${dir} first`);
  const text = (name: string) => readFile(join(root, name), "utf8").catch(() => "");
  const tls = await exists(join(root, CERT_VALUES));
  const valueFiles = [...VALUE_FILES, ...(tls ? [CERT_VALUES] : [])].map((name) => join(root, name));
  // later files win, as with helm
  let apiPort = 30803;
  let registryPort: number | undefined = 30503;
  for (const file of valueFiles) {
    let values: unknown;
    try {
      values = parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new InstallError(`${file} is no valid YAML: ${(error as Error).message}`);
    }
    const record = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {});
    const knitd = record(record(values).knitd);
    const registry = record(record(values).imageRegistry);
    if (typeof knitd.port === "number") apiPort = knitd.port;
    if (typeof registry.port === "number") registryPort = registry.port;
    if (registry.use === false) registryPort = undefined;
  }
  const kubeconfig = join(root, "kubeconfig");
  return {
    dir: root,
    namespace: (await text("namespace")).trim() || "knitfab",
    hosts: (await text("hosts")).split(/\s+/).filter(Boolean),
    kubeconfig: (await exists(kubeconfig)) ? kubeconfig : undefined,
    valueFiles,
    tls,
    apiPort,
    registryPort,
  };
}

/** The users' handout: knitprofile (API URL and CA) and the registry's CA for docker. */
export async function writeHandouts(settings: Settings): Promise<string> {
  const host = settings.hosts[0];
  if (host === undefined) throw new InstallError(`${join(settings.dir, "hosts")} names no host: add a node's address`);
  const handouts = join(settings.dir, "handouts");
  await mkdir(handouts, { recursive: true });
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const apiRoot = `${settings.tls ? "https" : "http"}://${urlHost}:${settings.apiPort}/api`;
  const ca = settings.tls ? await readFile(join(settings.dir, "certs", "ca.crt"), "utf8") : undefined;
  await writeFile(join(handouts, "knitprofile"), handoutText(apiRoot, ca === undefined ? {} : { caPem: ca }));
  const lines = [`# Knitfab handout\n\nknit init knitprofile   # API: ${apiRoot}\n`];
  if (settings.registryPort !== undefined) {
    const registry = `${urlHost}:${settings.registryPort}`;
    if (ca !== undefined) {
      const folder = join(handouts, "docker", "certs.d", registry);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, "ca.crt"), ca);
      lines.push(`Image registry: ${registry}. Trust it: copy docker/certs.d/${registry} to /etc/docker/certs.d/ (or /etc/containers/certs.d/ for Podman).\n`);
    } else {
      lines.push(`Image registry: ${registry} (plain HTTP: list it as an insecure registry in Docker or Podman).\n`);
    }
  }
  await writeFile(join(handouts, "README.md"), lines.join("\n"));
  return handouts;
}

const README = `# Knitfab installation settings

Written by \`knitfab admin install --prepare\`. Edit the files under values/ (the chart's
values.yaml lists every key), then install or upgrade with

    knitfab admin install --settings <this folder>

Print the manifests instead (GitOps): add --dry-run. Remove: knitfab admin uninstall --settings <this folder>
(Data, the database and pushed images are kept unless --delete-data).

certs/ca.key signs the server certificate: keep it offline. values/ holds the database password and
the TLS key: keep this folder private.
`;
