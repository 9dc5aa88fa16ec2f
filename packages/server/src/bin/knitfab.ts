#!/usr/bin/env node
import { Command, Option } from "commander";
import { ConfigError, DEFAULT_DATA_SIZE, DEFAULT_UPLOAD_LIMITS, ROLES, resolveServeConfig, type ServeFlags } from "../config.js";
import { startServer, type RunningServer } from "../serve.js";
import { VERSION } from "../version.js";
import { defaultConsoleDir } from "../console-dir.js";
import { registerTokenCommands } from "../admin/token-commands.js";
import { registerTlsCommands } from "../admin/tls-commands.js";
import { registerAdminCommands } from "../admin/commands.js";
import { registerVexCommand } from "../vex-command.js";
import { registerDataAgentCommand } from "../data-agent-command.js";
import { registerNurseCommand } from "../nurse-command.js";
import { registerInstallCommands } from "../admin/install/commands.js";

const program = new Command("knitfab")
  .description("Knitfab server: the API, the web console, data transfer and the workflow loops, in one binary.")
  .version(VERSION);

program
  .command("serve")
  .description(
    "Start knitfab. By default everything runs in this one process on an embedded database (PGlite) and " +
      "local folders under --home. Point --database-url at PostgreSQL to share the database between several processes.",
  )
  .addOption(new Option("--home <dir>", "folder for the embedded database, the data and the handout profile (default: ~/.knitfab)").env("KNITFAB_HOME"))
  .addOption(new Option("--port <port>", "HTTP port of the API and web console (default: 30803)").env("KNITFAB_PORT"))
  .addOption(new Option("--listen <address>", "address to bind; 0.0.0.0 to accept other machines (default: 127.0.0.1)").env("KNITFAB_LISTEN"))
  .addOption(new Option("--database-url <url>", "PostgreSQL URL (postgres://user:pass@host:5432/db) instead of the embedded PGlite").env("KNITFAB_DATABASE_URL"))
  .addOption(
    new Option("--role <roles>", `what this process runs, comma-separated: ${ROLES.join(", ")} (default: all)`).env("KNITFAB_ROLE"),
  )
  .addOption(new Option("--hooks <file>", "lifecycle hooks YAML (lifecycle-hooks.before / .after URL lists)").env("KNITFAB_HOOKS"))
  .addOption(
    new Option("--store <name>", "data store: local, i.e. folders under --home, or pvc, a PersistentVolumeClaim per Data in a Kubernetes cluster (default: local)").env(
      "KNITFAB_STORE",
    ),
  )
  .addOption(new Option("--storage-class <name>", "pvc store: StorageClass of the Data's claims (default: the cluster's default class)").env("KNITFAB_STORAGE_CLASS"))
  .addOption(new Option("--data-size <size>", `pvc store: size each Data's claim requests, e.g. 10Gi (default: ${DEFAULT_DATA_SIZE})`).env("KNITFAB_DATA_SIZE"))
  .addOption(new Option("--agent-image <image>", "pvc store: the server image data-agent Pods run (default: localhost/knitfab-server:<version>)").env("KNITFAB_AGENT_IMAGE"))
  .addOption(
    new Option(
      "--runtime <name>",
      "worker runtime: docker, i.e. Docker or Podman through the Docker Engine API, or kubernetes, a Job per run (default: docker)",
    ).env("KNITFAB_RUNTIME"),
  )
  .addOption(new Option("--kubeconfig <file>", "kubernetes runtime and pvc store: kubeconfig file (default: the in-cluster configuration)").env("KNITFAB_KUBECONFIG"))
  .addOption(new Option("--namespace <name>", "kubernetes runtime and pvc store: namespace of the workers, claims and data agents (default: the kubeconfig context's, else default)").env("KNITFAB_NAMESPACE"))
  .addOption(new Option("--priority-class <name>", "kubernetes runtime: PriorityClass of the workers (default: none)").env("KNITFAB_PRIORITY_CLASS"))
  .addOption(
    new Option(
      "--nurse-secret <name>",
      "kubernetes runtime with the pvc store: a service-account-token Secret (of an account allowed get on pods and pods/log) for the log sidecar, " +
        "which then writes each run's log inside its pod with --agent-image (default: none, the server records logs through the API)",
    ).env("KNITFAB_NURSE_SECRET"),
  )
  .addOption(
    new Option("--node-label <key=value...>", "labels of this machine, matched by plans' on_node (repeatable)").env("KNITFAB_NODE_LABELS"),
  )
  .addOption(
    new Option(
      "--allowed-hosts <names>",
      "further Host names the server answers to, comma-separated (loopback, this machine's name and the --listen address always work); * for any",
    ).env("KNITFAB_ALLOWED_HOSTS"),
  )
  .addOption(new Option("--log-level <level>", "debug, info, warn, error or off (default: warn)").env("KNITFAB_LOG_LEVEL"))
  .addOption(new Option("--console <dir>", "folder of the built web console to serve at /").env("KNITFAB_CONSOLE_DIR"))
  .addOption(
    new Option(
      "--upload-max-size <size>",
      `most bytes one uploaded Data may unpack to, e.g. 500Gi, or "unlimited"; larger uploads are refused with 413 (default: ${DEFAULT_UPLOAD_LIMITS.maxSize})`,
    ).env("KNITFAB_UPLOAD_MAX_SIZE"),
  )
  .addOption(
    new Option(
      "--upload-max-entries <count>",
      `most files, folders and links in one uploaded Data, or "unlimited" (default: ${DEFAULT_UPLOAD_LIMITS.maxEntries})`,
    ).env("KNITFAB_UPLOAD_MAX_ENTRIES"),
  )
  .addOption(
    new Option(
      "--free-space-reserve <size>",
      `free space the data folder always keeps; uploads that would leave less are refused with 413 (default: ${DEFAULT_UPLOAD_LIMITS.freeSpaceReserve})`,
    ).env("KNITFAB_FREE_SPACE_RESERVE"),
  )
  .addOption(
    new Option(
      "--free-space-warning <size>",
      "below this much free space in the data folder a warning is logged (once per crossing) and the metric " +
        "knitfab_data_store_free_space_low is 1 (default: twice --free-space-reserve)",
    ).env("KNITFAB_FREE_SPACE_WARNING"),
  )
  .addOption(
    new Option(
      "--extra-apis <file>",
      "YAML file of extra APIs, endpoints: [{path, proxy_to}]: requests to each path and below are forwarded to proxy_to " +
        "(/api, /metrics, /healthz and /readyz are reserved); a bad file stops the start",
    ).env("KNITFAB_EXTRA_APIS"),
  )
  .addOption(
    new Option("--auth <mode>", "access control: none (anyone who reaches the port) or tokens (API tokens from 'knitfab admin token create') (default: none)").env(
      "KNITFAB_AUTH",
    ),
  )
  .addOption(
    new Option(
      "--insecure-no-auth",
      "allow --listen on an address other machines reach with --auth none (refused otherwise) [env: KNITFAB_INSECURE_NO_AUTH=true]",
    ),
  )
  .addOption(new Option("--tls-cert <file>", "serve HTTPS with this PEM certificate (chain); reloaded when the file changes").env("KNITFAB_TLS_CERT"))
  .addOption(new Option("--tls-key <file>", "the PEM private key of --tls-cert").env("KNITFAB_TLS_KEY"))
  .addOption(
    new Option("--tls-ca <file>", "the CA certificate the handout profile trusts (default: --tls-cert itself, right for a self-signed one)").env(
      "KNITFAB_TLS_CA",
    ),
  )
  .addOption(
    new Option(
      "--allow-unchecked-uploads",
      // read by resolveServeConfig: commander would take KNITFAB_ALLOW_UNCHECKED_UPLOADS=false for true
      "accept uploads without an x-checksum-md5 trailer or header (by default they are refused: knit data push always sends one) " +
        "[env: KNITFAB_ALLOW_UNCHECKED_UPLOADS=true]",
    ),
  )
  .addHelpText(
    "after",
    "\nExamples:\n  knitfab serve                              # embedded, http://127.0.0.1:30803\n" +
      "  knitfab serve --home /srv/knitfab --listen 0.0.0.0 --auth tokens --tls-cert server.crt --tls-key server.key\n" +
      "  knitfab serve --database-url postgres://knit@db/knit --role api\n" +
      "Then: knit init ~/.knitfab/handout/knitprofile\n" +
      "\nMonitoring (outside /api): GET /metrics (Prometheus text format), GET /healthz (the process answers),\n" +
      "GET /readyz (and its database does; 503 if not). Request logs are JSON lines with a reqId\n" +
      "(the caller's X-Request-Id when given, echoed in every answer); see --log-level.",
  )
  .action(async (flags: ServeFlags) => {
    let config;
    try {
      config = resolveServeConfig(flags);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`knitfab: ${error.message}`);
        process.exit(2);
      }
      throw error;
    }
    config.consoleDir ??= await defaultConsoleDir();
    // Signals are handled from the start: one arriving while the server starts stops it once started.
    const started: { server?: RunningServer } = {};
    let stopping = false;
    const stop = (running: RunningServer) =>
      running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error("knitfab: error while stopping", error);
          process.exit(1);
        },
      );
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`knitfab: ${signal} received, shutting down`);
      if (started.server) void stop(started.server);
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    const server = await startServer(config).catch((error: unknown) => {
      console.error(`knitfab: could not start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
    started.server = server;
    if (stopping) void stop(server);
  });

registerTokenCommands(program);
registerTlsCommands(program);
registerAdminCommands(program);
registerVexCommand(program);
registerDataAgentCommand(program);
registerNurseCommand(program);
registerInstallCommands(program);

await program.parseAsync(process.argv);
