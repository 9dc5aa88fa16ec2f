/**
 * `knitfab nurse <container> <file>`: the log sidecar of a worker pod (spec/loops.md §8.2), from the
 * same server image as every other role. It follows the named container's log through the API with
 * the pod's in-cluster credentials (its own service-account token, mounted by the kubernetes runtime's
 * Job) and writes it into the file (the log Data's claim), then exits once the container has ended
 * and its whole log is written, so the pod ends with the task. See @knitfab/drivers' log-nurse.ts.
 */
import { Option, type Command } from "commander";
import { ConfigError } from "./config-error.js";

export interface NurseSettings {
  container: string;
  file: string;
  pod: string;
  namespace: string;
  kubeconfig?: string;
}

/** Validated once, here: what is missing stops the nurse at once, with a message saying what. */
export function resolveNurseSettings(container: string, file: string, options: { pod?: string; namespace?: string; kubeconfig?: string }): NurseSettings {
  if (!options.pod) throw new ConfigError("the pod's name is needed: --pod or POD_NAME (the downward API's metadata.name)");
  if (!options.namespace) throw new ConfigError("the pod's namespace is needed: --namespace or NAMESPACE (the downward API's metadata.namespace)");
  if (!file.startsWith("/")) throw new ConfigError(`the log file must be an absolute path, got "${file}"`);
  return { container, file, pod: options.pod, namespace: options.namespace, ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}) };
}

export function registerNurseCommand(program: Command): void {
  program
    .command("nurse")
    .description(
      "Log sidecar of a worker pod (Kubernetes mode): follows the container's log through the API and writes it into the file, " +
        "resuming without repeating bytes when the stream is cut, and exits once the container has ended and all its log is written.",
    )
    .argument("<container>", "the container whose log to record (main)")
    .argument("<file>", "the log file to write (appended to: what is there counts as written)")
    .addOption(new Option("--pod <name>", "this pod's name").env("POD_NAME"))
    .addOption(new Option("--namespace <name>", "this pod's namespace").env("NAMESPACE"))
    .addOption(new Option("--kubeconfig <file>", "kubeconfig to use (default: the in-cluster configuration)").env("KUBECONFIG"))
    .action(async (container: string, file: string, options: { pod?: string; namespace?: string; kubeconfig?: string }) => {
      let settings: NurseSettings;
      try {
        settings = resolveNurseSettings(container, file, options);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`knitfab nurse: ${error.message}`);
        process.exit(2);
      }
      // Exits at once: a kept-alive connection must not keep the pod running after the task.
      process.exit(await runNurse(settings));
    });
}

/** Records the log; the exit code: 0 when complete (or the pod went away, or SIGTERM), 1 when it gave up. */
export async function runNurse(settings: NurseSettings): Promise<number> {
  // loaded here, not at the top: every other knitfab command would pay for the Kubernetes client
  const { kubernetesLogSource, loadKubeConfig, nurseLog, openLogFile } = await import("@knitfab/drivers/kubernetes");
  let config;
  try {
    // Before the file is made: a pod without credentials leaves nothing behind.
    config = loadKubeConfig(settings.kubeconfig);
  } catch (error) {
    console.error(`knitfab nurse: ${describe(error)}`);
    return 1;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  let file;
  try {
    file = await openLogFile(settings.file);
  } catch (error) {
    console.error(`knitfab nurse: cannot open the log file ${settings.file}: ${describe(error)}`);
    return 1;
  }
  try {
    const source = kubernetesLogSource(config, settings.namespace, settings.pod, settings.container);
    const result = await nurseLog(source, file, {
      signal: stop.signal,
      onRetry: (error, failures) => console.error(`knitfab nurse: reading the log of ${settings.container} failed (${describe(error)}); trying again (${failures})`),
    });
    if (result.ended !== "complete") console.error(`knitfab nurse: stopped (${result.ended}) after ${result.bytes} bytes`);
    return 0;
  } catch (error) {
    console.error(`knitfab nurse: gave up recording the log of ${settings.container}: ${describe(error)}`);
    return 1;
  } finally {
    await file.close();
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === undefined ? error.message : `${error.message} (${String(code)})`;
  }
  return String(error);
}
