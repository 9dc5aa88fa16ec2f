/** Installing, printing and removing the chart with helm, from a settings folder (settings.ts). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Settings } from "./settings.js";
import { InstallError, type Tool } from "./tools.js";

export const DEFAULT_RELEASE = "knitfab";

/**
 * The chart: --chart, else KNITFAB_CHART, else charts/knitfab found above this module (the
 * repository, or a package that ships charts/ beside it).
 */
export function findChart(given = process.env.KNITFAB_CHART): string {
  if (given) {
    if (!existsSync(join(given, "Chart.yaml"))) throw new InstallError(`${given} is no Helm chart (no Chart.yaml)`);
    return given;
  }
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const chart = join(dir, "charts", "knitfab");
    if (existsSync(join(chart, "Chart.yaml"))) return chart;
    if (dirname(dir) === dir) throw new InstallError("the knitfab chart was not found: give its folder with --chart (charts/knitfab of the knitfab sources)");
  }
}

export interface Target {
  settings: Settings;
  chart: string;
  release: string;
  /** overrides the settings' namespace */
  namespace?: string;
  /** overrides the settings' kubeconfig copy */
  kubeconfig?: string;
}

function common(target: Target): { namespace: string; cluster: string[] } {
  const namespace = target.namespace ?? target.settings.namespace;
  const kubeconfig = target.kubeconfig ?? target.settings.kubeconfig;
  return { namespace, cluster: ["--namespace", namespace, ...(kubeconfig ? ["--kubeconfig", kubeconfig] : [])] };
}

const valueArgs = (settings: Settings) => settings.valueFiles.flatMap((file) => ["--values", file]);

/** The manifests the installation consists of (helm template): for GitOps, and the check before an install. */
export async function renderManifests(helm: Tool, target: Target): Promise<string> {
  const { namespace } = common(target);
  return helm.run(["template", target.release, target.chart, "--namespace", namespace, ...valueArgs(target.settings)]);
}

/**
 * helm upgrade --install, after the values have rendered (a bad value stops here, before the
 * cluster is touched). Helm itself refuses an unreachable cluster before changing anything.
 */
export async function installChart(helm: Tool, target: Target, log: (message: string) => void): Promise<void> {
  await renderManifests(helm, target);
  const { cluster } = common(target);
  log(`installing release ${target.release} into namespace ${common(target).namespace} (helm upgrade --install --wait)`);
  await helm.run(["upgrade", "--install", target.release, target.chart, ...cluster, "--create-namespace", "--wait", "--timeout", "15m", ...valueArgs(target.settings)]);
}

/**
 * helm uninstall. The database's and the registry's claims (and the database password) are kept by
 * the chart (resource policy keep) and the Data claims belong to no release; with `kubectl` (--delete-data) they are deleted
 * too: the release's kept claims and every claim of its data StorageClass in the namespace.
 */
export async function uninstallChart(helm: Tool, kubectl: Tool | undefined, target: Target, log: (message: string) => void): Promise<void> {
  const { namespace, cluster } = common(target);
  // read before the release goes: the data class it was installed with
  const dataClass = kubectl ? releaseDataClass(await helm.run(["get", "values", target.release, ...cluster, "--all", "--output", "json"])) : undefined;
  await helm.run(["uninstall", target.release, ...cluster, "--wait"]);
  log(`release ${target.release} uninstalled from ${namespace}; Data, the database and pushed images ${kubectl ? "are deleted next" : "are kept"}`);
  if (!kubectl) return;
  const claims = JSON.parse(await kubectl.run(["get", "persistentvolumeclaims", ...cluster, "--output", "json"])) as {
    items: { metadata: { name: string; labels?: Record<string, string> }; spec: { storageClassName?: string } }[];
  };
  const doomed = claims.items
    .filter((claim) => claim.metadata.labels?.["app.kubernetes.io/instance"] === target.release || claim.spec.storageClassName === dataClass)
    .map((claim) => claim.metadata.name);
  // the database password kept with its claim goes with it
  await kubectl.run(["delete", "secrets", ...cluster, "--selector", `app.kubernetes.io/instance=${target.release}`, "--ignore-not-found"]);
  if (doomed.length === 0) return log("no claims to delete");
  await kubectl.run(["delete", "persistentvolumeclaims", ...cluster, "--wait", ...doomed]);
  log(`deleted ${doomed.length} claim(s): ${doomed.join(", ")}`);
}

/** storage.class.data of `helm get values --all --output json`. */
export function releaseDataClass(valuesJson: string): string {
  const values = JSON.parse(valuesJson) as { storage?: { class?: { data?: unknown } } };
  const name = values.storage?.class?.data;
  if (typeof name !== "string" || name === "") throw new InstallError("the release's values name no data StorageClass (storage.class.data)");
  return name;
}
