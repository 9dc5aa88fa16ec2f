/**
 * The chart (charts/knitfab) installed by `knitfab admin install` into a REAL control plane
 * (kube-apiserver, controller manager, scheduler: scripts/build-kube-control-plane.sh) whose node is
 * the STAND-IN kubelet of @knitfab/kube-testing, playing every pod with `podman kube play`: the
 * schema-upgrader hook Job, the knitd, knitd-backend and loop Deployments (server image of
 * scripts/build-server-image.sh), then the workers and data agents they start. The user guide's
 * pipeline runs through the installed API with the built `knit` command and the installer's
 * handout (knitprofile: https to the API's NodePort 30803 with the generated CA), and
 * `knitfab admin uninstall` removes the release but keeps the Data.
 *
 * The database is the chart's in-cluster PostgreSQL (its Deployment, Service, credential Secret and
 * claim `database-pgdata`), run from the offline image of scripts/build-postgres-image.sh (Debian's
 * PostgreSQL 15) named by the value database.image; it initialises its data on the claim, and the
 * upgrade restarts it on the same claim (the Data and their lineage are still there after). The
 * image registry is the chart's too, from the offline image of scripts/build-registry-image.sh
 * (Debian's docker-registry) named by imageRegistry.image: ready by its /v2/ probe, answering at
 * its NodePort over TLS. No public image is pulled (none can be here).
 *
 * What is stood in, and why: no kube-proxy and no cluster DNS run here, so startStandInNodePorts
 * serves the NodePort and each Service's own port on the node's address (listeners forwarding to
 * the ready endpoints the real endpoint controller lists), and the stand-in kubelet puts the
 * Services' names (database.<namespace>.svc.cluster.local, ...) into each pod's /etc/hosts. The
 * stand-in kubelet runs the database's exec readiness probe (pg_isready) in its container through
 * Podman's exec, so the database is ready when PostgreSQL answers. Services sharing a port (knitd-backend and image-registry, 80) are served by
 * name only for the first; nothing in the release reaches knitd-backend by name. The storage
 * classes are the stand-in provisioner's (storage.create false) instead of csi-driver-nfs.
 */
import { spawn, execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import {
  startControlPlane,
  startStandInKubelet,
  startStandInNodePorts,
  STAND_IN_CSI_DRIVER,
  waitUntil,
  type ControlPlane,
  type StandInKubelet,
  type StandInNodePorts,
} from "@knitfab/kube-testing";
import { allFinished, preparePodman, shellPlan, type Json } from "@knitfab/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { runAdmin } from "../../src/admin/install/cli-testing.js";
import { helmFromLayer } from "../../src/admin/install/helm-binary.js";

// Installing starts eight Deployments' pods and a hook Job on a stand-in node; each pipeline step
// starts a worker and data agents: many minutes on a loaded machine.
vi.setConfig({ testTimeout: 30 * 60_000, hookTimeout: 40 * 60_000 });

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../../", import.meta.url));
const KNIT = join(root, "packages/cli/bin/knit.cjs");
const NAMESPACE = "knitfab-chart";
const DEPLOYMENTS = [
  "knitd",
  "knitd-backend",
  "projection-leader",
  "initialize-leader",
  "run-management-leader",
  "finishing-leader",
  "garbage-collection-leader",
  "housekeeping-leader",
];

let controlPlane: ControlPlane | undefined;
let kubelet: StandInKubelet | undefined;
let nodePorts: StandInNodePorts | undefined;
/** The offline PostgreSQL image the chart's database runs (scripts/build-postgres-image.sh). */
let postgresImage: string;
/** The offline registry image the chart's image registry runs (scripts/build-registry-image.sh). */
let registryImage: string;
let folder: string;
let settings: string;
let helmPath: string;
let core: CoreV1Api;
let apps: AppsV1Api;
let installed = false;
/** The Data the pipeline test pushed, for the upgrade test. */
let pushedDataset: string | undefined;
/** The Data of the pipeline's lineage (dataset, model, score), for the upgrade test. */
let lineageIds: string[] = [];

/** `knitfab admin …` (in this process, with the real helm). */
const knitfab = (args: string[]) => runAdmin(args, { HELM: helmPath });

interface KnitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built `knit`, as a user with a HOME and a project folder of their own. */
function knit(args: string[], cwd = join(folder, "user", "project")): Promise<KnitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KNIT, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: join(folder, "user"), TZ: "UTC" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function knitJson<T = Json>(args: string[]): Promise<T> {
  const result = await knit(args);
  if (result.code !== 0) expect.fail(`knit ${args.join(" ")} exited ${result.code}: ${result.stderr}\n${await logsOf("knitd")}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "knitfab-chart-install-"));
  settings = join(folder, "settings");
  await mkdir(join(folder, "user", "project"), { recursive: true });
  const podmanSocket = await preparePodman();
  const image = (await run("sh", [join(root, "scripts/build-server-image.sh")], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
  const [repository, tag] = [image.slice(0, image.lastIndexOf(":")), image.slice(image.lastIndexOf(":") + 1)];
  postgresImage = (await run("sh", [join(root, "scripts/build-postgres-image.sh")], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
  registryImage = (await run("sh", [join(root, "scripts/build-registry-image.sh")], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
  helmPath = await helmFromLayer();
  controlPlane = await startControlPlane();
  // Pods reach Services by name (the database's) at the node's address, where each Service's port is served.
  kubelet = await startStandInKubelet({ controlPlane, podmanSocket, nodes: [{ name: "node-one" }, { name: "node-two" }], serviceNames: true });
  nodePorts = await startStandInNodePorts({ controlPlane, address: kubelet.nodeAddress, servicePorts: true });
  const admin = controlPlane.adminConfig();
  core = admin.makeApiClient(CoreV1Api);
  apps = admin.makeApiClient(AppsV1Api);
  await waitUntil("the nodes Ready", async () =>
    (await core.listNode()).items.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
  );

  // 1. The settings folder, as an administrator prepares it (a CA and a certificate for the node's address).
  const prepared = await knitfab(["install", "--prepare", "--settings", settings, "--namespace", NAMESPACE, "--host", kubelet.nodeAddress, "--kubeconfig", controlPlane.adminKubeconfig]);
  expect(prepared.code, prepared.stderr).toBe(0);
  // 2. The administrator's edits for this cluster: what cannot run here is replaced (see above).
  const valuesFile = join(settings, "values/knitfab.yaml");
  const values = parse(await readFile(valuesFile, "utf8")) as Json;
  await writeFile(
    valuesFile,
    stringify({
      ...values,
      image: { ...(values.image as Json), repository, tag },
      imageRegistry: { ...(values.imageRegistry as Json), use: true, image: registryImage },
      storage: { create: false, class: { data: kubelet.storageClassName, system: kubelet.storageClassName } },
      database: { ...(values.database as Json), external: false, image: postgresImage },
      store: { dataSize: "64Mi" },
    }),
  );
});

afterAll(async () => {
  if (installed) await knitfab(["uninstall", "--settings", settings]).catch(() => undefined);
  await nodePorts?.close();
  await kubelet?.close();
  await controlPlane?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
}, 600_000);

describe("the chart installed into the real control plane (stand-in nodes playing pods with Podman)", () => {
  it("installs: the in-cluster database runs from its claim, every Deployment's pods run and are ready, the API answers at its NodePort", async () => {
    const result = await knitfab(["install", "--settings", settings]);
    installed = true;
    expect(result.code, `${result.stderr}\n${await podsReport()}`).toBe(0);
    for (const name of DEPLOYMENTS) {
      const deployment = await apps.readNamespacedDeployment({ name, namespace: NAMESPACE });
      expect(deployment.status?.readyReplicas, name).toBe(1);
    }
    // Each pod ran on a stand-in node, with a pod IP from Podman's network.
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((pod) => pod.status?.phase === "Running");
    expect(pods.length).toBeGreaterThanOrEqual(DEPLOYMENTS.length);
    for (const pod of pods) expect(kubelet!.nodeNames).toContain(pod.spec?.nodeName);
    // A fresh in-cluster database has no migration Job before install: the first server migrates it.
    const migrations = await admin().makeApiClient(BatchV1Api).listNamespacedJob({ namespace: NAMESPACE, labelSelector: "app.kubernetes.io/component=schema-upgrader" });
    expect(migrations.items).toEqual([]);
    // The database is the chart's: its Deployment's one pod, from the offline image, on the claim
    // the stand-in provisioner bound, which it initialised on its first start.
    const database = await databasePod();
    expect(database.spec?.containers[0]?.image).toBe(postgresImage);
    expect(kubelet!.nodeNames).toContain(database.spec?.nodeName);
    expect(database.spec?.volumes?.find((volume) => volume.name === "pgdata")?.persistentVolumeClaim?.claimName).toBe("database-pgdata");
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: "database-pgdata", namespace: NAMESPACE });
    expect(claim.status?.phase).toBe("Bound");
    expect((await core.readPersistentVolume({ name: claim.spec?.volumeName ?? "" })).spec?.csi?.driver).toBe(STAND_IN_CSI_DRIVER);
    databaseVolume = claim.spec?.volumeName;
    expect(await logOf(database)).toContain("knitfab-postgres: initialising /var/lib/postgresql/data/pgdata (user knit, database knit)");
    // Ready by its exec readiness probe (pg_isready in its container, run by the stand-in kubelet);
    // the same command run here answers too.
    expect(database.status?.containerStatuses?.[0]?.ready).toBe(true);
    expect(await runReadinessProbe(database)).toContain("accepting connections");
    // The image registry is the chart's: ready by its probe (GET /v2/ over TLS, run by the stand-in
    // kubelet), from the offline image, answering /v2/ at its NodePort with the installer's certificate.
    const registry = await apps.readNamespacedDeployment({ name: "image-registry-registry", namespace: NAMESPACE });
    expect(registry.status?.readyReplicas).toBe(1);
    const [registryPod] = await runningPods("image-registry");
    expect(registryPod?.spec?.containers[0]?.image).toBe(registryImage);
    expect(nodePorts!.serving()).toContain(`${NAMESPACE}/image-registry:30503`);
    const ca = await readFile(join(settings, "certs", "ca.crt"), "utf8");
    const v2 = await httpsGet(`https://${kubelet!.nodeAddress}:30503/v2/`, ca);
    expect(v2).toEqual({ status: 200, body: "{}" });
    // Ready means answering: the stand-in kubelet ran the readiness probes (/readyz) before helm --wait returned.
    for (const component of ["knitd", "knitd-backend"]) {
      const [pod] = await runningPods(component);
      const scheme = component === "knitd" ? "https" : "http";
      const status = await readyz(`${scheme}://${pod?.status?.podIP}:8080/readyz`).catch(async (error: unknown) => {
        throw new Error(`${component} ${pod?.metadata?.name} /readyz: ${String(error)}\n${await podsReport()}\n${await logsOf(component)}\n${await logsOf("database")}`);
      });
      expect(status, component).toBe(200);
    }
    expect(nodePorts!.serving()).toContain(`${NAMESPACE}/knitd:30803`);
    // The API answers at the node's address and NodePort, over TLS with the installer's certificate.
    const health = await waitUntil("the API's /healthz at the NodePort", () => httpsGet(`https://${kubelet!.nodeAddress}:30803/healthz`, ca).catch(() => undefined), 60_000).catch(
      async (error: unknown) => {
        throw new Error(`${String(error)}\n${await podsReport()}\n${await logsOf("knitd")}`);
      },
    );
    expect(health.status).toBe(200);
  });

  it("runs the user guide's pipeline through it with knit and the handout: push, plans, runs done, pull, logs, lineage", async () => {
    expect(installed).toBe(true);
    const project = join(folder, "user", "project");
    const init = await knit(["init", join(settings, "handouts", "knitprofile")]);
    expect(init.code, init.stderr).toBe(0);

    await mkdir(join(project, "dataset"));
    await writeFile(join(project, "dataset", "numbers.txt"), "1 2 3 4");
    const pushed = await knitJson<Json>(["data", "push", "-t", "project:chart", "-t", "type:dataset", "dataset"]);
    const dataset = String(pushed.knitId);
    pushedDataset = dataset;

    const train = shellPlan("echo training on $(cat /in/data/numbers.txt); wc -w < /in/data/numbers.txt > /out/model/words; echo to stderr >&2", {
      inputs: [{ path: "/in/data", tags: ["project:chart", "type:dataset"] }],
      outputs: [{ path: "/out/model", tags: ["project:chart", "type:model"] }],
    });
    const validate = shellPlan("echo validating; expr $(cat /in/model/words) \\* 10 > /out/score/score", {
      inputs: [{ path: "/in/model", tags: ["project:chart", "type:model"] }],
      outputs: [{ path: "/out/score", tags: ["project:chart", "type:score"] }],
    });
    await writeFile(join(project, "train.yaml"), stringify(train));
    await writeFile(join(project, "validate.yaml"), stringify(validate));
    const trainPlan = String((await knitJson<Json>(["plan", "apply", "train.yaml"])).planId);
    const validatePlan = String((await knitJson<Json>(["plan", "apply", "validate.yaml"])).planId);

    const trained = await runOf(trainPlan);
    expect(trained, JSON.stringify(trained)).toMatchObject({ status: "done" });
    const validated = await runOf(validatePlan);
    expect(validated, JSON.stringify(validated)).toMatchObject({ status: "done" });

    // Lineage: the dataset went into training, the model into validation.
    const trainDetail = await knitJson<Json>(["run", "show", String(trained.runId)]);
    expect((trainDetail.inputs as Json[])[0]!.knitId).toBe(dataset);
    const model = String((trainDetail.outputs as Json[])[0]!.knitId);
    const validateDetail = await knitJson<Json>(["run", "show", String(validated.runId)]);
    expect((validateDetail.inputs as Json[])[0]!.knitId).toBe(model);
    const score = String((validateDetail.outputs as Json[])[0]!.knitId);
    const lineage = await knit(["data", "lineage", "-d", "-n", "all", dataset]);
    expect(lineage.code, lineage.stderr).toBe(0);
    for (const knitId of [dataset, model, score]) expect(lineage.stdout).toContain(knitId);
    lineageIds = [dataset, model, score];

    // Outputs come back through the data agents the installed server starts.
    expect(await pulled(model)).toEqual({ words: "4\n" });
    expect(await pulled(score)).toEqual({ score: "40\n" });
    expect(await pulled(dataset)).toEqual({ "numbers.txt": "1 2 3 4" });

    const log = await knit(["run", "show", "--log", String(trained.runId)]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain("training on 1 2 3 4");
    expect(log.stdout).toContain("to stderr");
  });

  it("upgrades (knitfab admin install again, values changed): the pre-upgrade Job migrates once, the pods and the database roll, the Data stays", async () => {
    expect(pushedDataset).toBeDefined();
    const knitdPods = () => runningPods("knitd");
    const before = (await knitdPods()).map((pod) => pod.metadata?.name);
    const databaseBefore = (await databasePod()).metadata?.name;
    const valuesFile = join(settings, "values/knitfab.yaml");
    const values = parse(await readFile(valuesFile, "utf8")) as Json;
    // The database's resources change too, so its Deployment replaces its pod: a new PostgreSQL on the same claim.
    const database = values.database as Json;
    await writeFile(
      valuesFile,
      stringify({
        ...values,
        knitd: { ...(values.knitd as Json), logLevel: "warn" },
        database: { ...database, resources: { requests: { cpu: "100m", memory: "320Mi" } } },
      }),
    );
    const result = await knitfab(["install", "--settings", settings]);
    expect(result.code, `${result.stderr}\n${await podsReport()}`).toBe(0);
    const job = await admin().makeApiClient(BatchV1Api).readNamespacedJob({ name: "schema-upgrader-2", namespace: NAMESPACE });
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.failed ?? 0).toBe(0);
    // The API's Deployment rolled to a pod with the new argument; the NodePort follows it.
    const after = await knitdPods();
    expect(after.map((pod) => pod.metadata?.name)).not.toEqual(before);
    expect(after[0]?.spec?.containers[0]?.args).toContain("--log-level=warn");
    const address = `${after[0]?.status?.podIP}:8080`;
    await waitUntil("the NodePort forwarding to the new knitd pod", async () => nodePorts!.targets(30803).join() === address).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; targets: ${nodePorts!.targets(30803).join()}, new pod ${address}\n${await podsReport()}\n${await logsOf("knitd")}\n${await logsOf("database")}`);
    });
    expect(await pulled(pushedDataset!)).toEqual({ "numbers.txt": "1 2 3 4" });
    // The new database pod found the data on the claim (no second initialisation); the lineage is in it.
    const databaseAfter = await databasePod();
    expect(databaseAfter.metadata?.name).not.toBe(databaseBefore);
    expect(databaseAfter.spec?.containers[0]?.resources?.requests?.memory).toBe("320Mi");
    expect((await core.readNamespacedPersistentVolumeClaim({ name: "database-pgdata", namespace: NAMESPACE })).spec?.volumeName).toBe(databaseVolume);
    const log = await logOf(databaseAfter);
    expect(log).toContain("database system is ready to accept connections");
    expect(log).not.toContain("knitfab-postgres: initialising");
    expect(databaseAfter.status?.containerStatuses?.[0]?.ready).toBe(true);
    const lineage = await knit(["data", "lineage", "-d", "-n", "all", pushedDataset!]);
    expect(lineage.code, lineage.stderr).toBe(0);
    expect(lineageIds).toHaveLength(3);
    for (const knitId of lineageIds) expect(lineage.stdout).toContain(knitId);
  });

  it("uninstalls: the release's Deployments and pods are gone, the Data claims are kept", async () => {
    expect(installed).toBe(true);
    const dataClaims = async () =>
      (await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE })).items.filter((claim) => claim.spec?.storageClassName === kubelet!.storageClassName).map((claim) => claim.metadata?.name);
    const before = await dataClaims();
    expect(before.length).toBeGreaterThanOrEqual(3);
    const result = await knitfab(["uninstall", "--settings", settings]);
    expect(result.code, result.stderr).toBe(0);
    installed = false;
    expect((await apps.listNamespacedDeployment({ namespace: NAMESPACE })).items).toEqual([]);
    // Helm leaves hook resources alone: the last migration Job and its completed pod stay until the
    // Job's ttlSecondsAfterFinished (schemaUpgrader.ttlSecondsAfterFinished, 300 s) has passed.
    await waitUntil("the release's pods gone", async () => {
      const left = (await core.listNamespacedPod({ namespace: NAMESPACE })).items;
      return left.every((pod) => pod.metadata?.labels?.["app.kubernetes.io/component"] === "schema-upgrader" && pod.status?.phase === "Succeeded") ? true : undefined;
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await podsReport()}`);
    });
    expect((await core.listNamespacedService({ namespace: NAMESPACE })).items).toEqual([]);
    expect(await dataClaims()).toEqual(before);
  });
});

const admin = () => controlPlane!.adminConfig();

/** The claim's PersistentVolume at install, to see that the upgraded database uses the same. */
let databaseVolume: string | undefined;

/**
 * A component's running pods, not being deleted. A server that starts before the database answers
 * exits ("could not start"); the stand-in kubelet then fails its pod and the ReplicaSet makes a new
 * one (a kubelet would restart the container in the same pod), so failed pods may be listed too.
 */
async function runningPods(component: string): Promise<V1Pod[]> {
  const pods = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `app.kubernetes.io/component=${component}` })).items;
  return pods.filter((pod) => !pod.metadata?.deletionTimestamp && pod.status?.phase === "Running");
}

/** The database Deployment's one running pod (not one being deleted). */
async function databasePod(): Promise<V1Pod> {
  const deployment = await apps.readNamespacedDeployment({ name: "database-postgres", namespace: NAMESPACE });
  expect(deployment.status?.readyReplicas, await podsReport()).toBe(1);
  const pods = await runningPods("database");
  expect(pods.map((pod) => pod.metadata?.name)).toHaveLength(1);
  return pods[0]!;
}

/** The whole log of a pod's first container, through the kubelet API. */
function logOf(pod: V1Pod): Promise<string> {
  return core.readNamespacedPodLog({ name: pod.metadata?.name ?? "", namespace: NAMESPACE });
}

/** Runs the database container's exec readiness probe in it with `podman exec`; its output. */
async function runReadinessProbe(pod: V1Pod): Promise<string> {
  const container = pod.spec?.containers[0];
  const command = container?.readinessProbe?.exec?.command;
  expect(command).toBeDefined();
  const { stdout } = await run("podman", ["exec", `${kubelet!.podmanPodName(pod.metadata?.uid ?? "")}-${container?.name}`, ...command!]);
  return stdout;
}

/** The plan's one run, once it has ended (knit run find, then knit run wait). */
async function runOf(planId: string): Promise<Json> {
  let runId: string | undefined;
  await waitUntil(`a run of plan ${planId}`, async () => {
    const runs = await knitJson<Json[]>(["run", "find", "-p", planId]);
    runId = runs[0] ? String(runs[0].runId) : undefined;
    return runId;
  }, 10 * 60_000);
  const waited = await knit(["run", "wait", "--timeout", "10m", runId!]);
  const ended = JSON.parse(waited.stdout) as Json;
  expect(allFinished(1)([ended as { status?: unknown }])).toBe(true);
  return ended;
}

/** knit data pull -x, then the files it extracted. */
async function pulled(knitId: string): Promise<Record<string, string>> {
  const destination = await mkdtemp(join(folder, "pull-"));
  const result = await knit(["data", "pull", "-x", knitId, destination]);
  expect(result.code, result.stderr).toBe(0);
  const files: Record<string, string> = {};
  const base = join(destination, knitId);
  for (const name of await readdir(base, { recursive: true })) {
    const content = await readFile(join(base, name)).catch(() => undefined);
    if (content !== undefined) files[name] = content.toString("utf8");
  }
  return files;
}

/** GET over https, trusting `ca` only. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { ca }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.setTimeout(10_000, () => request.destroy(new Error("timed out")));
  });
}

/** The status of one GET of a pod's /readyz (its certificate names the node's address, not the pod's: not verified, as a kubelet's probe). */
function readyz(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // A hang guard, not a verdict on speed: a loaded machine may stall a pod for seconds.
    const request = (url.startsWith("https:") ? get : httpGet)(url, { rejectUnauthorized: false, timeout: 30_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
  });
}

/** The last lines of the logs of a component's pods, for a failure's message. */
async function logsOf(component: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `app.kubernetes.io/component=${component}` }).catch(() => undefined);
  const parts: string[] = [];
  for (const pod of pods?.items ?? []) {
    const log = await core.readNamespacedPodLog({ name: pod.metadata?.name ?? "", namespace: NAMESPACE, tailLines: 40 }).catch((error: unknown) => `(no log: ${String(error)})`);
    parts.push(`--- ${pod.metadata?.name}\n${log}`);
  }
  return parts.join("\n");
}

/** The namespace's pods and their states, for a failed install's message. */
async function podsReport(): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE }).catch(() => undefined);
  return (pods?.items ?? [])
    .map((pod) => {
      const states = (pod.status?.containerStatuses ?? []).map((status) => `${status.name}: ${JSON.stringify(status.state)}`);
      return `${pod.metadata?.name} ${pod.status?.phase} on ${pod.spec?.nodeName ?? "-"} ${states.join("; ")}`;
    })
    .join("\n");
}
