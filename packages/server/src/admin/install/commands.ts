/** `knitfab admin install|uninstall|migrate`: the Kubernetes installation (charts/knitfab). */
import { Option, type Command } from "commander";
import { adminCommand } from "../commands.js";
import { DEFAULT_RELEASE, findChart, installChart, renderManifests, uninstallChart, type Target } from "./install.js";
import { registerMigrateCommand } from "./migrate-command.js";
import { isPrepared, prepareSettings, readSettings, writeHandouts, type OwnTls } from "./settings.js";
import { findHelm, findKubectl, InstallError } from "./tools.js";

interface ClusterFlags {
  settings: string;
  namespace?: string;
  kubeconfig?: string;
  release: string;
  chart?: string;
  helm?: string;
}

interface InstallFlags extends ClusterFlags {
  prepare?: boolean;
  dryRun?: boolean;
  host?: string[];
  tls: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

const say = (message: string) => console.error(`knitfab: ${message}`);

const clusterOptions = (command: Command): Command =>
  command
    .requiredOption("-s, --settings <dir>", "the settings folder (written by --prepare, then edited and kept by the administrator)")
    .option("-n, --namespace <name>", "the namespace (default: the settings' namespace file, else knitfab)")
    .option("--kubeconfig <file>", "the cluster (default: the settings' copy, else KUBECONFIG or ~/.kube/config)")
    .option("--release <name>", "the Helm release name", DEFAULT_RELEASE)
    .addOption(new Option("--chart <dir>", "the knitfab chart folder (default: charts/knitfab of this installation)").env("KNITFAB_CHART"))
    .addOption(new Option("--helm <path>", "the helm command").env("HELM"));

export function registerInstallCommands(program: Command): void {
  const admin = adminCommand(program);
  clusterOptions(
    admin
      .command("install")
      .summary("install or upgrade knitfab on a Kubernetes cluster with its Helm chart")
      .description(
        "Install or upgrade knitfab on Kubernetes from a settings folder, as the reference's installer does:\n" +
          "  1. knitfab admin install --prepare -s DIR --host NODE_IP   writes DIR: chart values, a TLS CA and certificate\n" +
          "     (or --tls-cert/--tls-key/--tls-ca of your own, or --no-tls), the namespace and a copy of --kubeconfig;\n" +
          "  2. edit DIR/values/*.yaml (charts/knitfab/values.yaml lists every key);\n" +
          "  3. knitfab admin install -s DIR   runs helm upgrade --install --wait, then writes DIR/handouts/: the\n" +
          "     knitprofile for 'knit init' (API URL and CA) and the registry's CA for docker.\n" +
          "With --dry-run step 3 prints the manifests (helm template) instead, for GitOps. Run again to upgrade:\n" +
          "a Job migrates the database before the new pods start. Needs helm (3 or 4) on PATH or --helm.",
      ),
  )
    .option("--prepare", "write the settings folder (new or empty) and stop; without it a missing folder is prepared first")
    .option("--dry-run", "print the manifests instead of installing (nothing in the cluster is touched)")
    .option("--host <address...>", "with --prepare: addresses users reach the nodes by, for the certificate and the handout (default: the nodes' InternalIP, by kubectl)")
    .option("--no-tls", "with --prepare: plain HTTP (no certificates)")
    .option("--tls-cert <file>", "with --prepare: your server certificate (PEM) instead of a generated one")
    .option("--tls-key <file>", "with --prepare: its private key")
    .option("--tls-ca <file>", "with --prepare: the CA users trust (default: the certificate itself)")
    .addHelpText("after", "\nRemove with: knitfab admin uninstall -s DIR (Data, the database and pushed images are kept unless --delete-data).")
    .action((flags: InstallFlags) => guard(() => install(flags)));

  clusterOptions(
    admin
      .command("uninstall")
      .summary("remove knitfab from the cluster (helm uninstall), keeping Data unless --delete-data")
      .description(
        "Remove the release with helm uninstall. The Data claims, the database's claim and the registry's claim are kept, so a " +
          "new install finds them; --delete-data deletes them too (kubectl needed).",
      ),
  )
    .option("--delete-data", "also delete every Data, the database and the pushed images (cannot be undone)")
    .action((flags: ClusterFlags & { deleteData?: boolean }) =>
      guard(async () => {
        const target = await targetOf(flags, false);
        const helm = await findHelm(flags.helm);
        const kubectl = flags.deleteData ? await findKubectl() : undefined;
        await uninstallChart(helm, kubectl, target, say);
      }),
    );

  registerMigrateCommand(admin);
}

async function install(flags: InstallFlags): Promise<void> {
  const helm = await findHelm(flags.helm);
  const chart = findChart(flags.chart);
  if (flags.prepare || !(await isPrepared(flags.settings))) {
    const ownTls = ownTlsOf(flags);
    const hosts = flags.host ?? (await nodeAddresses(flags.kubeconfig));
    await prepareSettings(flags.settings, { namespace: flags.namespace ?? "knitfab", hosts, tls: flags.tls ? (ownTls ?? true) : false, ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}) });
    say(`settings written to ${flags.settings}`);
    if (flags.prepare) return say(`edit ${flags.settings}/values/*.yaml, then: knitfab admin install --settings ${flags.settings}`);
  } else if (flags.host || flags.tlsCert || flags.tlsKey || flags.tlsCa || !flags.tls) {
    throw new InstallError(`${flags.settings} is prepared already: --host and the TLS options apply only when preparing (edit the folder instead)`);
  }
  const target = await targetOf({ ...flags, chart });
  if (flags.dryRun) {
    process.stdout.write(await renderManifests(helm, target));
    return;
  }
  await installChart(helm, target, say);
  const handouts = await writeHandouts(target.settings);
  say(`installed; hand ${handouts} to the users (knit init ${handouts}/knitprofile)`);
}

/** What helm acts on; `withChart: false` for uninstall, which needs no chart. */
async function targetOf(flags: ClusterFlags, withChart = true): Promise<Target> {
  return {
    settings: await readSettings(flags.settings),
    chart: withChart ? findChart(flags.chart) : "",
    release: flags.release,
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
  };
}

function ownTlsOf(flags: InstallFlags): OwnTls | undefined {
  if (!flags.tlsCert && !flags.tlsKey && !flags.tlsCa) return undefined;
  if (!flags.tls) throw new InstallError("--no-tls and --tls-* contradict each other");
  if (!flags.tlsCert || !flags.tlsKey) throw new InstallError("--tls-cert and --tls-key go together (and --tls-ca needs them)");
  return { cert: flags.tlsCert, key: flags.tlsKey, ...(flags.tlsCa ? { ca: flags.tlsCa } : {}) };
}

/** The nodes' InternalIP addresses, as the reference's installer takes them. */
async function nodeAddresses(kubeconfig: string | undefined): Promise<string[]> {
  const kubectl = await findKubectl().catch(() => {
    throw new InstallError("give --host (a node's address): kubectl, to ask the cluster for its nodes, is not there");
  });
  const output = await kubectl
    .run(["get", "nodes", ...(kubeconfig ? ["--kubeconfig", kubeconfig] : []), "--output", 'jsonpath={.items[*].status.addresses[?(@.type=="InternalIP")].address}'])
    .catch((error: Error) => {
      throw new InstallError(`give --host (a node's address): the cluster could not be asked for its nodes (${error.message})`);
    });
  return output.split(/\s+/).filter(Boolean);
}

async function guard(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    say(error.message);
    // not process.exit: output still being written gets out
    process.exitCode = 1;
  }
}
