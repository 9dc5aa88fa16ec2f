/**
 * Two more ends of kubernetes mode, against the same cluster as kubernetes-mode.test.ts (a REAL
 * control plane, a STAND-IN node playing pods with Podman; see kubernetes-mode-cluster.ts):
 *
 * - a custom import through the pvc store (spec/api.md §4.6–4.7, the admin guide's 7.4): the
 *   importer asks `import/begin` for a token, reads the claim `data-knitid-<knitId>` from its `sub`,
 *   fills that claim with a Pod of its own, and calls `import/end`; the Data is then tagged,
 *   downloaded and fed to a plan. Bad tokens and a claim that is gone are refused and change nothing.
 * - kube-apiserver stopped and started again while a run's Job runs: the run still ends `done`, its
 *   output and log whole, its task started once, nothing left behind.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { IMAGE, allFinished, callJson, shellPlan, type Json } from "@knitfab/testing";
import { waitUntil } from "@knitfab/kube-testing";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { applyPlan, getRun, pushData, runLog, spawnServe, waitForRuns, type ServeProcess } from "knitfab/test-support";
import { NAMESPACE, RUNS_WAIT_MS, filesOf, noPodsLeft, nurseStarted, podsThatStarted, startKubernetesModeCluster, type KubernetesModeCluster } from "./kubernetes-mode-cluster.js";

// Each step starts Pods (workers, data agents, the importer) on a stand-in node: minutes on a loaded machine.
vi.setConfig({ testTimeout: 15 * 60_000, hookTimeout: 30 * 60_000 });

let cluster: KubernetesModeCluster;
let server: ServeProcess | undefined;
let importers = 0;

beforeAll(async () => {
  cluster = await startKubernetesModeCluster();
  server = await spawnServe({ fastEngine: true, logLevel: "warn", args: cluster.kubeArgs });
});

afterAll(async () => {
  await server?.stop();
  await cluster?.close();
}, 300_000);

interface ImportToken {
  token: string;
  claimName: string;
  knitId: string;
  runId: string;
}

/** `import/begin`, and what an importer reads from the token without verifying it (the guide's step 2). */
async function beginImport(apiRoot: string): Promise<ImportToken> {
  const begin = await fetch(`${apiRoot}/backend/data/import/begin`, { method: "POST" });
  expect(begin.status).toBe(200);
  expect(begin.headers.get("content-type")).toBe("application/jwt");
  const token = (await begin.text()).trim();
  const claims = decodeJwt(token);
  return { token, claimName: String(claims.sub), knitId: String(claims["knitfab/knitId"]), runId: String(claims["knitfab/runId"]) };
}

function endImport(apiRoot: string, token: string, contentType = "application/jwt") {
  return callJson<Json>(`${apiRoot}/backend/data/import/end`, { method: "POST", rawBody: token, contentType });
}

/**
 * The importer's first step (the admin guide's 7.4, step 3): the claim the token's `sub` names,
 * made by the importer itself, here on the stand-in provisioner's class, so that it gets bound.
 */
async function createImporterClaim(claimName: string, storageClassName = cluster.kubelet.storageClassName): Promise<void> {
  await cluster.core.createNamespacedPersistentVolumeClaim({
    namespace: NAMESPACE,
    body: {
      metadata: { name: claimName },
      spec: { accessModes: ["ReadWriteMany"], storageClassName, resources: { requests: { storage: "64Mi" } } },
    },
  });
}

/**
 * The importer's own work: a Pod (as a real importer's Job would make) that mounts the claim and
 * runs `script` there with the claim at /import; returns once it succeeded, and deletes it.
 */
async function runImporter(claimName: string, script: string): Promise<void> {
  importers += 1;
  const name = `importer-${importers}`;
  await cluster.core.createNamespacedPod({
    namespace: NAMESPACE,
    body: {
      metadata: { name },
      spec: {
        restartPolicy: "Never",
        containers: [{ name: "import", image: IMAGE, command: ["sh", "-c", script], volumeMounts: [{ name: "data", mountPath: "/import" }] }],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
      },
    },
  });
  const pod = await waitUntil<V1Pod>(`the importer ${name} to end`, async () => {
    const current = await cluster.core.readNamespacedPod({ name, namespace: NAMESPACE });
    return ["Succeeded", "Failed"].includes(current.status?.phase ?? "") ? current : undefined;
  }, RUNS_WAIT_MS);
  expect(pod.status?.phase, JSON.stringify(pod.status)).toBe("Succeeded");
  await cluster.core.deleteNamespacedPod({ name, namespace: NAMESPACE });
}

async function sealedAnnotation(claimName: string): Promise<string | undefined> {
  const claim = await cluster.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace: NAMESPACE });
  return claim.metadata?.annotations?.["knitfab.io/sealed"];
}

async function dataOf(apiRoot: string, knitId: string): Promise<Json | undefined> {
  const found = await callJson<Json[]>(`${apiRoot}/data?tag=${encodeURIComponent(`knit#id:${knitId}`)}`);
  expect(found.status).toBe(200);
  return found.body[0];
}

describe("a custom import through the pvc store (real control plane, stand-in node)", () => {
  it("fills the claim the token names with an importer's Pod; end makes it a Data that is tagged, downloaded and fed to a run", async () => {
    const apiRoot = server!.apiRoot;
    const imported = await beginImport(apiRoot);
    expect(imported.claimName).toBe(`data-knitid-${imported.knitId}`);
    // Knitfab reserves the claim's name only: the importer makes the claim (its create would
    // fail with AlreadyExists otherwise).
    const before = await cluster.core.readNamespacedPersistentVolumeClaim({ name: imported.claimName, namespace: NAMESPACE }).then(() => "there", () => "absent");
    expect(before).toBe("absent");
    await createImporterClaim(imported.claimName);
    await runImporter(imported.claimName, "mkdir -p /import/nested && echo 'from the importer' > /import/hello.txt && printf '3 4 5' > /import/nested/numbers");
    const end = await endImport(apiRoot, imported.token);
    expect(end.status, end.text).toBe(200);
    expect(end.body.knitId).toBe(imported.knitId);
    expect((end.body.upstream as { run: Json }).run.status).toBe("completing");

    // The finishing loop seals the claim and ends the import's run.
    const run = await waitUntil("the import's run to be done", async () => {
      const current = await getRun(apiRoot, imported.runId);
      return current.status === "done" || current.status === "failed" ? current : undefined;
    }, RUNS_WAIT_MS);
    expect(run.status, JSON.stringify(run)).toBe("done");
    expect((run.plan as Json).name).toBe("knit#imported");
    expect(await sealedAnnotation(imported.claimName)).toBe("true");
    // Sealed, the importer's claim is one of the store's Data (listed for backups).
    const sealedClaim = await cluster.core.readNamespacedPersistentVolumeClaim({ name: imported.claimName, namespace: NAMESPACE });
    expect(sealedClaim.metadata?.labels?.["knit/data.knitid"]).toBe(imported.knitId);

    // Tagged by the importer afterwards, as a user's Data.
    const tagged = await callJson<Json>(`${apiRoot}/data/${imported.knitId}`, { method: "PUT", body: { add: ["project:imported", "type:dataset"] } });
    expect(tagged.status, tagged.text).toBe(200);
    const data = await dataOf(apiRoot, imported.knitId);
    const tags = (data?.tags ?? []) as string[];
    expect(tags).toEqual(expect.arrayContaining(["project:imported", "type:dataset", `knit#id:${imported.knitId}`]));
    expect(tags.some((tag) => tag.startsWith("knit#timestamp:"))).toBe(true);
    expect(tags.some((tag) => tag.startsWith("knit#transient:"))).toBe(false);

    // Downloaded through a read agent: what the importer wrote.
    expect(await filesOf(apiRoot, imported.knitId)).toEqual({ "hello.txt": "from the importer\n", "nested/numbers": "3 4 5" });

    // And fed to a plan, whose Job mounts the claim.
    const plan = await applyPlan(
      apiRoot,
      shellPlan("cat /in/hello.txt > /out/copy; wc -w < /in/nested/numbers > /out/count", {
        inputs: [{ path: "/in", tags: ["project:imported", "type:dataset"] }],
        outputs: [{ path: "/out", tags: ["project:imported", "type:derived"] }],
      }),
    );
    const [derived] = await waitForRuns(apiRoot, plan, allFinished(1), RUNS_WAIT_MS);
    expect(derived, JSON.stringify(derived)).toMatchObject({ status: "done" });
    const detail = await getRun(apiRoot, String(derived!.runId));
    expect((detail.inputs as Json[])[0]!.knitId).toBe(imported.knitId);
    const output = String((detail.outputs as Json[])[0]!.knitId);
    expect(await filesOf(apiRoot, output)).toEqual({ copy: "from the importer\n", count: "3\n" });
    await noPodsLeft(cluster.core);
  });

  it("refuses bad tokens and a claim that is gone with a clear error, and changes nothing", async () => {
    const apiRoot = server!.apiRoot;
    const imported = await beginImport(apiRoot);
    await createImporterClaim(imported.claimName);
    await runImporter(imported.claimName, "echo partial > /import/partial.txt");
    // The import stays where it was: its run running, its Data not visible (imports in progress are not Data yet).
    const unchanged = async () => {
      expect((await getRun(apiRoot, imported.runId)).status).toBe("running");
      expect(await dataOf(apiRoot, imported.knitId)).toBeUndefined();
    };

    const garbage = await endImport(apiRoot, "not-a-token");
    expect(garbage.status).toBe(401);
    expect(String(garbage.body.message)).toMatch(/^invalid token/);
    const forged = await endImport(apiRoot, `${imported.token.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    expect(String(forged.body.message)).toMatch(/^invalid token/);
    const wrongType = await endImport(apiRoot, imported.token, "text/plain");
    expect(wrongType.status).toBe(400);
    expect(String(wrongType.body.message)).toContain('"Content-Type" should be "application/jwt"');
    await unchanged();
    expect(await sealedAnnotation(imported.claimName)).toBeUndefined();

    // The claim deleted before end (by the importer, or anyone): nothing to make a Data of.
    await cluster.core.deleteNamespacedPersistentVolumeClaim({ name: imported.claimName, namespace: NAMESPACE });
    await waitUntil("the claim to be gone", async () =>
      cluster.core.readNamespacedPersistentVolumeClaim({ name: imported.claimName, namespace: NAMESPACE }).then(
        () => false,
        () => true,
      ),
    );
    const gone = await endImport(apiRoot, imported.token);
    expect(gone.status, gone.text).toBe(400);
    expect(String(gone.body.message)).toContain(`retry after that PVC ${imported.claimName} is bound`);
    await unchanged();

    // A claim of that name made again by the importer (the admin guide has importers make their
    // own), but not bound (its class has no provisioner): not ready, refused the same way.
    await createImporterClaim(imported.claimName, "no-provisioner");
    const unbound = await endImport(apiRoot, imported.token);
    expect(unbound.status, unbound.text).toBe(400);
    expect(String(unbound.body.message)).toContain(`retry after that PVC ${imported.claimName} is bound`);
    await unchanged();
  });
});

describe("kube-apiserver restarted while a run's Job runs, in kubernetes mode", () => {
  it("still ends the run done, with its output and log, its task started once, and nothing left behind", async () => {
    const apiRoot = server!.apiRoot;
    const plan = await applyPlan(
      apiRoot,
      shellPlan("echo before; sleep 12; cat /in/value > /out/value; echo after", {
        inputs: [{ path: "/in", tags: ["restart:kube"] }],
        outputs: [{ path: "/out", tags: ["restart:out"] }],
      }),
    );
    await pushData(apiRoot, [{ name: "value", content: "kept\n" }], ["restart:kube"]);
    const [running] = await waitForRuns(apiRoot, plan, (runs) => runs[0]?.status === "running", RUNS_WAIT_MS);
    const runId = String(running!.runId);

    await cluster.controlPlane.restartApiServer();

    const [finished] = await waitForRuns(apiRoot, plan, allFinished(1), RUNS_WAIT_MS);
    expect(finished, JSON.stringify(finished)).toMatchObject({ runId, status: "done", exit: { code: 0, message: "" } });
    const output = String(((await getRun(apiRoot, runId)).outputs as Json[])[0]!.knitId);
    expect(await filesOf(apiRoot, output)).toEqual({ value: "kept\n" });
    // The log sidecar's follow was cut by the restart: it read again and wrote each line once.
    expect((await runLog(apiRoot, runId)).text).toBe("before\nafter\n");
    expect(await nurseStarted(cluster.core, runId)).toBe(true);
    // One pod of the Job started the task: the Job was not made twice, nor its pod run again.
    expect(await podsThatStarted(cluster.core, runId, "main")).toHaveLength(1);
    await noPodsLeft(cluster.core);
    await waitUntil("the worker Jobs gone", async () => {
      const jobs = await cluster.batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: "knitfab/worker=true" });
      return jobs.items.every((job) => job.metadata?.deletionTimestamp) ? true : undefined;
    });
  });
});
