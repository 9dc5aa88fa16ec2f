/**
 * `knitfab vex`: the volume expander daemon of the Kubernetes mode (one per node, a DaemonSet in
 * the chart), with the reference's arguments: `--margin`, `--delta`, `--node-name` (NODE_NAME),
 * `--interval` and the namespaces to watch.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { isQuantity, parseGoDuration, quantityValue } from "@knitfab/domain";

export interface VexSettings {
  namespaces: string[];
  nodeName: string;
  marginBytes: number;
  deltaBytes: number;
  intervalMs: number;
  kubeconfig?: string;
}

function quantityOption(flag: string): (value: string) => number {
  return (value) => {
    if (!isQuantity(value) || quantityValue(value) < 0) throw new InvalidArgumentError(`${flag} "${value}" is not a size such as 500Mi or 2G`);
    return quantityValue(value);
  };
}

function durationOption(value: string): number {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`"${value}" is not a positive duration such as 1s or 500ms`);
  return ms;
}

export function registerVexCommand(program: Command): void {
  program
    .command("vex")
    .description(
      "Volume expander (Kubernetes mode): grows the data claims that pods on this node mount writable when their used space comes " +
        "within --margin of their capacity, by --delta rounded up to whole gigabytes, where the storage class allows expansion. " +
        'A claim annotated vex.knitfab/managed: "false" is left alone.',
    )
    .argument("<namespace...>", "namespaces whose claims to watch")
    .addOption(new Option("--node-name <name>", "the node this daemon watches").env("NODE_NAME").makeOptionMandatory())
    .addOption(new Option("--margin <size>", "grow a claim when less than this is left").env("MARGIN").default(quantityValue("500Mi"), "500Mi").argParser(quantityOption("--margin")))
    .addOption(new Option("--delta <size>", "how much to grow it by").env("DELTA").default(quantityValue("500Mi"), "500Mi").argParser(quantityOption("--delta")))
    .addOption(new Option("--interval <duration>", "time between rounds").default(1000, "1s").argParser(durationOption))
    .addOption(new Option("--kubeconfig <file>", "kubeconfig to use (default: the in-cluster configuration)").env("KUBECONFIG"))
    .addHelpText("after", "\nExample (in a DaemonSet pod):\n  knitfab vex --margin 500Mi --delta 500Mi knitfab   # NODE_NAME from the downward API\n")
    .action(async (namespaces: string[], options: { nodeName: string; margin: number; delta: number; interval: number; kubeconfig?: string }) => {
      await runVex({
        namespaces,
        nodeName: options.nodeName,
        marginBytes: options.margin,
        deltaBytes: options.delta,
        intervalMs: options.interval,
        ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      });
    });
}

/** Runs rounds until SIGTERM or SIGINT. */
export async function runVex(settings: VexSettings): Promise<void> {
  // loaded here, not at the top: every other knitfab command would pay for the Kubernetes client
  const { createVolumeExpander, loadKubeConfig } = await import("@knitfab/drivers/kubernetes");
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig(settings.kubeconfig);
  } catch (error) {
    process.stderr.write(`knitfab vex: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  const expander = createVolumeExpander({
    kubeConfig,
    namespaces: settings.namespaces,
    nodeName: settings.nodeName,
    marginBytes: settings.marginBytes,
    deltaBytes: settings.deltaBytes,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const stop = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => stop.abort());
  process.stderr.write(`vex: watching claims of ${settings.namespaces.join(", ")} on node ${settings.nodeName} every ${settings.intervalMs} ms\n`);
  await expander.run(settings.intervalMs, stop.signal);
}
