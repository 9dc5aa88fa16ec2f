/**
 * The chart's Roles grant each server role exactly the Kubernetes requests its runtime calls make.
 * The requests are not written down here: the real kubernetes runtime (packages/drivers) is run
 * against a recording stand-in of the API server (a fake: no API server runs in this test; the
 * integration tests of part 1 run the runtime against a real one) and each request is turned into
 * the RBAC verb the API server would check. Which role makes which runtime call is the engine's
 * code, summarised in CALLS below.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerRuntime } from "@knitfab/drivers";
import { createKubernetesRuntime, kubernetesLogSource, loadKubeConfig, MAIN_CONTAINER } from "@knitfab/drivers/kubernetes";
import { named, render, type Manifest } from "./chart-testing.js";

const NAMESPACE = "knitfab";
const RUN = "3c1d2e4f-0000-4000-8000-000000000001";

type RuntimeCall = "start" | "inspect" | "remove" | "listWorkers" | "waitForExit" | "logs" | "followLogs" | "unplaceable";

/** Runtime calls per server role, from packages/engine (loops/*.ts, workers/worker-watch.ts) and the run log route. */
const CALLS: Record<string, RuntimeCall[]> = {
  // routes/run-log.ts follows a running worker's log through engine.followLog
  api: ["followLogs"],
  backend: ["followLogs"],
  projection: [],
  initialize: [],
  // loops/run-management.ts: unplaceable, start, inspect, remove; workers/worker-watch.ts: waitForExit, logs (follow)
  "run-management": ["unplaceable", "start", "inspect", "remove", "waitForExit", "followLogs"],
  // loops/finishing.ts: inspect, logs (no follow), remove
  finishing: ["inspect", "logs", "remove"],
  "garbage-collection": [],
  // loops/housekeeping.ts: listWorkers, inspect, remove
  housekeeping: ["listWorkers", "inspect", "remove"],
};

const JOB = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: `worker-run-${RUN}`, namespace: NAMESPACE, resourceVersion: "7", labels: { "knitfab/run-id": RUN, "knitfab/worker": "true" } },
  spec: { selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "uid-1" } }, template: { spec: { containers: [] } } },
  status: { active: 1 },
};
const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "worker-pod", namespace: NAMESPACE, creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { containers: [{ name: MAIN_CONTAINER, image: "task:1" }] },
  status: { phase: "Running", containerStatuses: [{ name: MAIN_CONTAINER, image: "task:1", imageID: "", ready: true, restartCount: 0, state: { running: {} } }] },
};

/** The RBAC permission a request needs: `group/resource[/subresource]:verb`. */
function permissionOf(request: IncomingMessage): string {
  const url = new URL(request.url ?? "/", "http://stand-in");
  const match = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(url.pathname);
  if (!match) throw new Error(`unexpected request ${request.method} ${url.pathname}`);
  const [, group = "", resource, name, sub] = match;
  const watch = url.searchParams.get("watch") === "true";
  const verb =
    request.method === "POST" ? "create"
    : request.method === "DELETE" ? "delete"
    : request.method === "GET" ? (name ? "get" : watch ? "watch" : "list")
    : `${request.method?.toLowerCase()}`;
  return `${group}/${resource}${sub ? `/${sub}` : ""}:${verb}`;
}

/** Answers as the API server would, enough for each runtime call to finish. */
function answer(permission: string): { status: number; body: string; type: string } {
  const json = (body: unknown, status = 200) => ({ status, body: JSON.stringify(body), type: "application/json" });
  switch (permission) {
    case "batch/jobs:create":
      return json(JOB, 201);
    case "batch/jobs:get":
      return json(JOB);
    case "batch/jobs:list":
      return json({ apiVersion: "batch/v1", kind: "JobList", metadata: {}, items: [JOB] });
    case "batch/jobs:watch":
      return { status: 200, body: `${JSON.stringify({ type: "DELETED", object: JOB })}\n`, type: "application/json" };
    case "batch/jobs:delete":
      return json({ apiVersion: "v1", kind: "Status", status: "Success" });
    case "/pods:list":
      return json({ apiVersion: "v1", kind: "PodList", metadata: {}, items: [POD] });
    case "/pods:delete":
      return json(POD);
    case "/pods/log:get":
      return { status: 200, body: "a log line\n", type: "text/plain" };
    default:
      return json({ kind: "Status", status: "Failure", code: 404 }, 404);
  }
}

let server: Server;
let folder: string;
let runtime: WorkerRuntime;
let kubeconfig: string;
let recorded: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const permission = permissionOf(request);
    recorded.push(permission);
    request.resume();
    const { status, body, type } = answer(permission);
    response.writeHead(status, { "content-type": type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("no address");
  folder = await mkdtemp(join(tmpdir(), "knitfab-rbac-"));
  kubeconfig = join(folder, "kubeconfig");
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${address.port}", insecure-skip-tls-verify: true}}]\n` +
      `users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: ${NAMESPACE}}}]\ncurrent-context: x\n`,
  );
  runtime = createKubernetesRuntime({ kubeconfig, namespace: NAMESPACE });
});

afterAll(async () => {
  await runtime?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function drain(stream: NodeJS.ReadableStream | undefined): Promise<void> {
  if (!stream) throw new Error("no log stream");
  for await (const _chunk of stream);
}

/** The permissions one runtime call needs, by running it against the stand-in. */
async function permissionsOf(call: RuntimeCall): Promise<string[]> {
  recorded = [];
  const spec = { runId: RUN, planId: "p", image: "task:1", entrypoint: [], args: [], env: {}, mounts: [], resources: {}, onNode: { may: [], prefer: [], must: [] } };
  switch (call) {
    case "start":
      await runtime.start(spec as unknown as Parameters<WorkerRuntime["start"]>[0]);
      break;
    case "inspect":
      await runtime.inspect(RUN);
      break;
    case "remove":
      await runtime.remove(RUN);
      break;
    case "listWorkers":
      expect(await runtime.listWorkers()).toEqual([RUN]);
      break;
    case "waitForExit":
      await runtime.waitForExit?.(RUN, AbortSignal.timeout(20_000));
      break;
    case "logs":
      await drain(await runtime.logs(RUN, { follow: false }));
      break;
    case "followLogs":
      await drain(await runtime.logs(RUN, { follow: true }));
      break;
    case "unplaceable":
      await runtime.unplaceable({ may: [], prefer: [], must: [] });
      break;
  }
  return [...new Set(recorded)];
}

/** A Role's rules as `group/resource:verb` strings. */
function permissionsIn(role: Manifest | undefined): string[] {
  const rules = (role as { rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] } | undefined)?.rules ?? [];
  return rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`))));
}

/** The Role bound to the service account the Deployment of `--role=ROLE` runs as. */
function roleOf(manifests: Manifest[], role: string): Manifest | undefined {
  const deployment = manifests.find(
    (manifest) =>
      manifest.kind === "Deployment" &&
      (manifest.spec as { template: { spec: { containers: { args?: string[] }[] } } }).template.spec.containers[0]?.args?.includes(`--role=${role}`),
  );
  if (!deployment) throw new Error(`no Deployment runs --role=${role}`);
  const account = (deployment.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName;
  const binding = manifests.find(
    (manifest) => manifest.kind === "RoleBinding" && (manifest as { subjects?: { name: string }[] }).subjects?.some((subject) => subject.name === account),
  );
  return binding ? named(manifests, "Role", (binding as unknown as { roleRef: { name: string } }).roleRef.name) : undefined;
}

describe("RBAC of the chart", () => {
  it("grants each role exactly what the kubernetes runtime asks of the API server for that role's calls", async () => {
    const needed: Record<string, string[]> = {};
    for (const [role, calls] of Object.entries(CALLS)) {
      const permissions = new Set<string>();
      for (const call of calls) for (const permission of await permissionsOf(call)) permissions.add(permission);
      needed[role] = [...permissions].sort();
    }
    // the store's rules apart: the runtime's alone
    const manifests = await render([], ["store.rules=null"]);
    const granted = Object.fromEntries(Object.keys(CALLS).map((role) => [role, permissionsIn(roleOf(manifests, role)).sort()]));
    expect(granted).toEqual(needed);
    // and what that is today, so a change to the driver shows here too
    expect(needed["run-management"]).toEqual(["/pods/log:get", "/pods:delete", "/pods:get", "/pods:list", "batch/jobs:create", "batch/jobs:delete", "batch/jobs:get", "batch/jobs:watch"]);
    // (a log follow reads its pod to tell a cut stream from a finished container)
    expect(needed.api).toEqual(["/pods/log:get", "/pods:get", "/pods:list", "batch/jobs:get"]);
  });

  it("grants the log sidecar (knitfab nurse) exactly what it asks of the API server, in a Role of its own with a token Secret, and tells the servers", async () => {
    recorded = [];
    const source = kubernetesLogSource(loadKubeConfig(kubeconfig), NAMESPACE, "worker-pod", MAIN_CONTAINER);
    await source.phase();
    await source.read(false, async () => undefined, new AbortController().signal);
    const needed = [...new Set(recorded)].sort();
    expect(needed).toEqual(["/pods/log:get", "/pods:get"]);

    const manifests = await render();
    const binding = manifests.find(
      (manifest) => manifest.kind === "RoleBinding" && (manifest as { subjects?: { name: string }[] }).subjects?.some((subject) => subject.name === "knit-nurse"),
    );
    const role = binding ? named(manifests, "Role", (binding as unknown as { roleRef: { name: string } }).roleRef.name) : undefined;
    expect(permissionsIn(role).sort()).toEqual(needed);
    expect(named(manifests, "Secret", "knit-nurse-secret")).toMatchObject({
      type: "kubernetes.io/service-account-token",
      metadata: { annotations: { "kubernetes.io/service-account.name": "knit-nurse" } },
    });
    const serverArgs = (all: Manifest[]) =>
      all
        .filter((manifest) => manifest.kind === "Deployment")
        .map((manifest) => (manifest.spec as { template: { spec: { containers: { args?: string[] }[] } } }).template.spec.containers[0]?.args ?? [])
        .filter((args) => args[0] === "serve");
    expect(serverArgs(manifests).length).toBeGreaterThan(0);
    for (const args of serverArgs(manifests)) expect(args).toContain("--nurse-secret=knit-nurse-secret");

    // Turned off: no account, no secret, and the servers record logs themselves.
    const without = await render([], ["worker.nurse.use=false"]);
    expect(without.some((manifest) => manifest.metadata?.name === "knit-nurse" || manifest.metadata?.name === "knit-nurse-secret")).toBe(false);
    for (const args of serverArgs(without)) expect(args.some((arg) => arg.startsWith("--nurse-secret"))).toBe(false);
  });

  it("gives the store's rules to every role that touches Data, and none to projection", async () => {
    const manifests = await render([], ["store.rules[0].apiGroups[0]=", "store.rules[0].resources[0]=persistentvolumeclaims", "store.rules[0].verbs[0]=get"]);
    for (const role of Object.keys(CALLS)) {
      const permissions = permissionsIn(roleOf(manifests, role));
      if (role === "projection") expect(permissions, role).toEqual([]);
      else expect(permissions, role).toContain("/persistentvolumeclaims:get");
    }
  });
});
