/**
 * The real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
 * built from Go modules by scripts/build-kube-control-plane.sh) with the STAND-IN kubelet running
 * the pods through `podman kube play`. One control plane serves the whole file: starting one takes
 * tens of seconds on a loaded machine. When the binaries are not built yet, beforeAll builds them
 * (minutes) or fails saying why; nothing is skipped.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:https";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchV1Api, CoreV1Api, Log, RbacAuthorizationV1Api, VersionApi, type V1Job, type V1Pod, type V1PodSpec } from "@kubernetes/client-node";
import { clientFor, errorStatus, startControlPlane, startStandInKubelet, waitUntil, type ControlPlane, type StandInKubelet } from "../src/index.js";
import { PodmanApi } from "../src/podman-api.js";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../scripts/", import.meta.url));
const IMAGE = "localhost/busybox:test";
const NAMESPACE = "default";
const GPU_TAINT = { key: "knitfab.test/gpu", value: "true", effect: "NoSchedule" };
/** Each test waits at most WAIT_MS for one state, inside a test timeout that leaves room for the message. */
const WAIT_MS = 100_000;
const TEST_TIMEOUT = { timeout: 150_000 };

let controlPlane: ControlPlane;
let kubelet: StandInKubelet;
let core: CoreV1Api;
let batch: BatchV1Api;
let podman: PodmanApi;

beforeAll(async () => {
  // Started from a temporary folder: conmon writes an `oom` file into the service's working folder.
  const socket = (await run("sh", [`${scripts}podman-service.sh`], { cwd: tmpdir() })).stdout.trim().split("\n").pop() ?? "";
  await run("sh", [`${scripts}make-test-image.sh`, IMAGE]);
  podman = new PodmanApi(socket);
  controlPlane = await startControlPlane();
  kubelet = await startStandInKubelet({
    controlPlane,
    podmanSocket: socket,
    nodes: [
      { name: "node-general", labels: { "knitfab.test/pool": "general" } },
      {
        name: "node-gpu",
        labels: { "knitfab.test/accelerator": "gpu" },
        taints: [GPU_TAINT],
        allocatable: { cpu: "4", memory: "8Gi", "nvidia.com/gpu": "1" },
      },
    ],
  });
  const admin = controlPlane.adminConfig();
  core = admin.makeApiClient(CoreV1Api);
  batch = admin.makeApiClient(BatchV1Api);
  // The nodes count for the scheduler once the node lifecycle controller has seen them Ready.
  await until("both nodes Ready", async () => {
    const nodes = (await core.listNode()).items;
    return nodes.length === 2 && nodes.every((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
  });
}, 30 * 60_000);

afterAll(async () => {
  await kubelet?.close();
  await controlPlane?.close();
}, 120_000);

const until = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> => waitUntil(what, probe, WAIT_MS);


function job(name: string, spec: Omit<V1PodSpec, "restartPolicy">): V1Job {
  return {
    metadata: { name, namespace: NAMESPACE },
    spec: { backoffLimit: 0, template: { metadata: { labels: { app: name } }, spec: { ...spec, restartPolicy: "Never" } } },
  };
}

async function podOfJob(name: string): Promise<V1Pod> {
  return until(`a pod of job ${name}`, async () => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `job-name=${name}` })).items[0]);
}

async function jobCondition(name: string): Promise<string> {
  return until(`job ${name} to finish`, async () => {
    const current = await batch.readNamespacedJob({ name, namespace: NAMESPACE });
    return current.status?.conditions?.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True")?.type;
  });
}

async function createPod(name: string, spec: V1PodSpec): Promise<void> {
  await core.createNamespacedPod({ namespace: NAMESPACE, body: { metadata: { name, namespace: NAMESPACE }, spec } });
}

describe("real control plane", TEST_TIMEOUT, () => {
  it("serves the API of the version it was built at, with RBAC deciding what a service account may do", async () => {
    const version = await controlPlane.adminConfig().makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.36\./);
    const namespaces = (await core.listNamespace()).items.map((namespace) => namespace.metadata?.name);
    expect(namespaces).toEqual(expect.arrayContaining(["default", "kube-system", "kube-node-lease"]));

    await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "reader" } } });
    const reader = clientFor(await controlPlane.kubeconfigForServiceAccount(NAMESPACE, "reader")).makeApiClient(CoreV1Api);
    const denied = await reader.listNamespacedConfigMap({ namespace: NAMESPACE }).then(
      () => 200,
      (error: unknown) => errorStatus(error),
    );
    expect(denied).toBe(403);
    const rbac = controlPlane.adminConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NAMESPACE,
      body: { metadata: { name: "configmap-reader" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "reader-reads-configmaps" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: NAMESPACE }],
      },
    });
    // The root CA ConfigMap comes from kube-controller-manager's publisher controller.
    const names = await until("the role to take effect", async () => (await reader.listNamespacedConfigMap({ namespace: NAMESPACE })).items.map((c) => c.metadata?.name));
    expect(names).toContain("kube-root-ca.crt");
  });
});

describe("Jobs through the real Job controller, scheduler and the stand-in kubelet", TEST_TIMEOUT, () => {
  it("runs an init container then the main container on a claim, and the Job completes", async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NAMESPACE,
      body: { metadata: { name: "greeting" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    });
    const claim = await until("the claim to be bound", async () => {
      const current = await core.readNamespacedPersistentVolumeClaim({ name: "greeting", namespace: NAMESPACE });
      return current.status?.phase === "Bound" ? current : undefined;
    });
    expect(claim.spec?.storageClassName).toBe(kubelet.storageClassName);

    await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: job("init-and-main", {
        initContainers: [
          { name: "prepare", image: IMAGE, command: ["sh", "-c", "echo hello > /out/greeting"], volumeMounts: [{ name: "data", mountPath: "/out" }] },
        ],
        containers: [
          {
            name: "main",
            image: IMAGE,
            env: [
              { name: "WHO", value: "world" },
              { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            ],
            // Succeeds only if the init container's file is there, the env arrived and the mount is read-only.
            command: ["sh", "-c", 'test "$(cat /in/greeting) $WHO" = "hello world" && test "$(hostname)" = "$POD" && ! touch /in/x'],
            volumeMounts: [{ name: "data", mountPath: "/in", readOnly: true }],
            resources: { limits: { cpu: "500m", memory: "64Mi" } },
          },
        ],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "greeting" } }],
      }),
    });
    expect(await jobCondition("init-and-main")).toBe("Complete");
    const pod = await podOfJob("init-and-main");
    expect(pod.spec?.nodeName).toBe("node-general");
    expect(pod.status?.phase).toBe("Succeeded");
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
  });

  it("fails the Job when the main container fails, with its exit code in the pod status", async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job("failing-main", { containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "exit 3"] }] }) });
    expect(await jobCondition("failing-main")).toBe("Failed");
    const pod = await until("the failed pod", async () => {
      const current = await podOfJob("failing-main");
      return current.status?.phase === "Failed" ? current : undefined;
    });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
  });

  it("fails the pod when an init container fails, and never starts the main container", async () => {
    await createPod("failing-init", {
      restartPolicy: "Never",
      initContainers: [{ name: "check", image: IMAGE, command: ["sh", "-c", "exit 7"] }],
      containers: [{ name: "main", image: IMAGE, command: ["true"] }],
    });
    const pod = await until("the pod to fail", async () => {
      const current = await core.readNamespacedPod({ name: "failing-init", namespace: NAMESPACE });
      return current.status?.phase === "Failed" ? current : undefined;
    });
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 7, reason: "Error" });
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe("PodInitializing");
  });

  it("reports OOMKilled when the memory limit kills the main container", async () => {
    await createPod("out-of-memory", {
      restartPolicy: "Never",
      containers: [
        {
          name: "main",
          image: IMAGE,
          command: ["sh", "-c", 'x="$(head -c 100000000 /dev/zero | tr "\\0" a)"; echo survived'],
          resources: { limits: { memory: "20Mi" } },
        },
      ],
    });
    const pod = await until("the pod to fail", async () => {
      const current = await core.readNamespacedPod({ name: "out-of-memory", namespace: NAMESPACE });
      return current.status?.phase === "Failed" ? current : undefined;
    });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
  });

  it("reports ErrImagePull, with the kubelet's warning event, for an image the machine does not have", async () => {
    await createPod("missing-image", { restartPolicy: "Never", containers: [{ name: "main", image: "localhost/knitfab-no-such-image:1" }] });
    // A kubelet alternates ErrImagePull (at each try) and ImagePullBackOff (between tries).
    const waiting = await until("an image pull error", async () => {
      const current = await core.readNamespacedPod({ name: "missing-image", namespace: NAMESPACE });
      const state = current.status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === "ErrImagePull" || state?.reason === "ImagePullBackOff" ? state : undefined;
    });
    expect(waiting.message).toContain("localhost/knitfab-no-such-image:1");
    const warnings = await until("the ErrImagePull warning event", async () => {
      const events = await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: "involvedObject.name=missing-image,type=Warning" });
      const messages = events.items.map((event) => event.message);
      return messages.includes("Error: ErrImagePull") ? messages : undefined;
    });
    expect(warnings.some((message) => message?.startsWith('Failed to pull image "localhost/knitfab-no-such-image:1"'))).toBe(true);
    const pod = await core.readNamespacedPod({ name: "missing-image", namespace: NAMESPACE });
    expect(pod.status?.phase).toBe("Pending");
    const backOff = await until("the back-off", async () => {
      const current = await core.readNamespacedPod({ name: "missing-image", namespace: NAMESPACE });
      return current.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ImagePullBackOff";
    });
    expect(backOff).toBe(true);
  });

  it("stops and removes a running pod's containers when the pod is deleted", async () => {
    await createPod("long-running", { restartPolicy: "Never", terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: IMAGE, command: ["sleep", "600"] }] });
    const running = await until("the pod to run", async () => {
      const current = await core.readNamespacedPod({ name: "long-running", namespace: NAMESPACE });
      return current.status?.phase === "Running" ? current : undefined;
    });
    const podmanPod = kubelet.podmanPodName(running.metadata?.uid ?? "");
    expect(await podman.podExists(podmanPod)).toBe(true);
    await core.deleteNamespacedPod({ name: "long-running", namespace: NAMESPACE });
    await until("the pod object to be gone", async () =>
      core.readNamespacedPod({ name: "long-running", namespace: NAMESPACE }).then(
        () => false,
        (error: unknown) => errorStatus(error) === 404,
      ),
    );
    expect(await podman.podExists(podmanPod)).toBe(false);
  });
});

describe("restarts", TEST_TIMEOUT, () => {
  it("keeps a pod's status current across an API server restart", async () => {
    await createPod("across-restart", { restartPolicy: "Never", containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "sleep 4; exit 4"] }] });
    await until("the pod to run", async () => (await core.readNamespacedPod({ name: "across-restart", namespace: NAMESPACE })).status?.phase === "Running");
    await controlPlane.restartApiServer();
    const pod = await until("the pod to fail after the restart", async () => {
      const current = await core.readNamespacedPod({ name: "across-restart", namespace: NAMESPACE });
      return current.status?.phase === "Failed" ? current : undefined;
    });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(4);
  });
});

describe("placement by the real scheduler", TEST_TIMEOUT, () => {
  const gpuAffinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "knitfab.test/accelerator", operator: "In", values: ["gpu"] }] }],
      },
    },
  };

  it("puts a pod with a required node affinity and a toleration on the matching tainted node, and others elsewhere", async () => {
    await createPod("wants-gpu", {
      restartPolicy: "Never",
      affinity: gpuAffinity,
      tolerations: [{ key: "knitfab.test/gpu", operator: "Equal", value: "true", effect: "NoSchedule" }],
      containers: [{ name: "main", image: IMAGE, command: ["true"], resources: { limits: { "nvidia.com/gpu": "1" } } }],
    });
    for (const name of ["plain-1", "plain-2", "plain-3"]) {
      await createPod(name, { restartPolicy: "Never", containers: [{ name: "main", image: IMAGE, command: ["true"] }] });
    }
    const placed = await until("the pod to succeed", async () => {
      const current = await core.readNamespacedPod({ name: "wants-gpu", namespace: NAMESPACE });
      return current.status?.phase === "Succeeded" ? current : undefined;
    });
    expect(placed.spec?.nodeName).toBe("node-gpu");
    // The binding is the scheduler's: it posted a Scheduled event naming the node.
    const scheduled = await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: "involvedObject.name=wants-gpu,reason=Scheduled" });
    expect(scheduled.items[0]?.message).toContain("node-gpu");
    for (const name of ["plain-1", "plain-2", "plain-3"]) {
      const node = await until(`${name} to be bound`, async () => (await core.readNamespacedPod({ name, namespace: NAMESPACE })).spec?.nodeName);
      expect(node).toBe("node-general");
    }
  });

  it("leaves a pod Pending and Unschedulable when no node meets its requirement", async () => {
    await createPod("wants-tpu", {
      restartPolicy: "Never",
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "knitfab.test/accelerator", operator: "In", values: ["tpu"] }] }],
          },
        },
      },
      containers: [{ name: "main", image: IMAGE, command: ["true"] }],
    });
    // The gpu affinity without the toleration is unschedulable too: the taint keeps it off node-gpu.
    await createPod("gpu-without-toleration", { restartPolicy: "Never", affinity: gpuAffinity, containers: [{ name: "main", image: IMAGE, command: ["true"] }] });
    for (const name of ["wants-tpu", "gpu-without-toleration"]) {
      const condition = await until(`${name} to be found unschedulable`, async () => {
        const current = await core.readNamespacedPod({ name, namespace: NAMESPACE });
        return current.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
      });
      expect(condition.reason).toBe("Unschedulable");
      const pod = await core.readNamespacedPod({ name, namespace: NAMESPACE });
      expect(pod.spec?.nodeName).toBeUndefined();
      expect(pod.status?.phase).toBe("Pending");
    }
  });
});

describe("pod logs through the real API server from the stand-in kubelet's API", () => {
  it("registers nodes the API server reaches at this machine's address (not loopback) on the kubelet port, and lets only the API server's client certificate in", async () => {
    const node = await core.readNode({ name: "node-general" });
    expect(kubelet.nodeAddress).not.toMatch(/^127\./);
    expect(node.status?.addresses).toEqual(expect.arrayContaining([{ type: "InternalIP", address: kubelet.nodeAddress }]));
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(kubelet.kubeletPort);
    // The administrator's certificate is of the same CA, but it is not the API server's kubelet client.
    const admin = controlPlane.adminConfig().getCurrentUser();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `https://${kubelet.nodeAddress}:${kubelet.kubeletPort}/containerLogs/default/any/main`,
        { ca: readFileSync(controlPlane.caFile), cert: readFileSync(admin?.certFile ?? ""), key: readFileSync(admin?.keyFile ?? "") },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it("reads a finished pod's stdout and stderr, and its last lines with tailLines", async () => {
    await createPod("logged", {
      restartPolicy: "Never",
      containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "echo out1; echo err1 >&2; echo out2"] }],
    });
    await until("the pod to succeed", async () => (await core.readNamespacedPod({ name: "logged", namespace: NAMESPACE })).status?.phase === "Succeeded");
    const whole = await core.readNamespacedPodLog({ name: "logged", namespace: NAMESPACE, container: "main" });
    // Each stream keeps its order; between the two, conmon may pass stdout's pending lines first.
    expect(whole.split("\n").sort()).toEqual(["", "err1", "out1", "out2"]);
    expect(whole.indexOf("out1")).toBeLessThan(whole.indexOf("out2"));
    const lastLine = `${whole.split("\n").at(-2)}\n`;
    expect(await core.readNamespacedPodLog({ name: "logged", namespace: NAMESPACE, container: "main", tailLines: 1 })).toBe(lastLine);
    const missing = await core.readNamespacedPodLog({ name: "logged", namespace: NAMESPACE, container: "nope" }).then(
      () => 200,
      (error: unknown) => errorStatus(error),
    );
    expect(missing).toBe(400); // the API server itself refuses a container the pod does not have
  });

  it("follows a running container's log live, until the container ends", async () => {
    await createPod("followed", {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "echo first; echo second >&2; exec sleep 600"] }],
    });
    await until("the pod to run", async () => (await core.readNamespacedPod({ name: "followed", namespace: NAMESPACE })).status?.phase === "Running");
    const out = new PassThrough();
    let received = "";
    out.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
    const ended = new Promise<void>((resolve) => out.on("end", resolve));
    await new Log(controlPlane.adminConfig()).log(NAMESPACE, "followed", "main", out, { follow: true });
    // The container sleeps for ten minutes: these lines can only have come through a live follow.
    await until("both lines through the follow", async () => received === "first\nsecond\n");
    expect(out.readableEnded).toBe(false);
    // Deleting the pod stops the container; the follow then ends by itself.
    await core.deleteNamespacedPod({ name: "followed", namespace: NAMESPACE });
    await ended;
    expect(received).toBe("first\nsecond\n");
  });
});

/**
 * Run inside the pod by the server image's node: what an in-cluster client does, with no library in
 * between. On one line: `podman kube play` (4.3) fails on an argument that starts with a line break.
 */
const IN_CLUSTER_PROBE = `
const { readFileSync } = require("node:fs");
const { request } = require("node:https");
const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
const token = readFileSync(dir + "/token", "utf8");
const ca = readFileSync(dir + "/ca.crt");
const namespace = readFileSync(dir + "/namespace", "utf8");
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path, method, ca,
    headers: { authorization: "Bearer " + token, "content-type": "application/json" } }, (res) => {
    let text = ""; res.on("data", (c) => (text += c)); res.on("end", () => resolve({ status: res.statusCode, body: text }));
  });
  req.on("error", reject); req.end(body);
});
(async () => {
  const pods = await call("GET", "/api/v1/namespaces/" + namespace + "/pods");
  const secrets = await call("GET", "/api/v1/namespaces/" + namespace + "/secrets");
  const review = await call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }));
  const user = JSON.parse(review.body).status.userInfo;
  const names = pods.status === 200 ? JSON.parse(pods.body).items.map((p) => p.metadata.name) : [];
  console.log(JSON.stringify({ namespace, pods: pods.status, sees: names.includes(require("node:os").hostname()), secrets: secrets.status, user: user.username, boundPod: user.extra["authentication.kubernetes.io/pod-name"] }));
})().catch((error) => { console.error(String(error)); process.exit(1); });
`.trim().split("\n").join(" ");

describe("in-cluster API access from a pod, as a kubelet gives it", TEST_TIMEOUT, () => {
  it("mounts a token of the pod's service account (bound to the pod), the cluster CA and the namespace, and points the pod at the API server, where RBAC applies", async () => {
    // The server image has node; it is built from the packages (cached when they did not change).
    const image = (await run("sh", [`${scripts}build-server-image.sh`], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
    await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: "pod-lister" } } });
    const rbac = controlPlane.adminConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: NAMESPACE, body: { metadata: { name: "pod-lister" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "pod-lister" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-lister" },
        subjects: [{ kind: "ServiceAccount", name: "pod-lister", namespace: NAMESPACE }],
      },
    });
    await createPod("in-cluster", {
      restartPolicy: "Never",
      serviceAccountName: "pod-lister",
      containers: [{ name: "main", image, command: ["/usr/bin/node", "-e", IN_CLUSTER_PROBE] }],
    });
    const phase = await until("the pod to end", async () => {
      const current = (await core.readNamespacedPod({ name: "in-cluster", namespace: NAMESPACE })).status?.phase;
      return current === "Succeeded" || current === "Failed" ? current : undefined;
    });
    const log = await core.readNamespacedPodLog({ name: "in-cluster", namespace: NAMESPACE, container: "main" });
    expect(phase, log).toBe("Succeeded");
    expect(JSON.parse(log.trim().split("\n").pop() ?? "{}")).toEqual({
      namespace: NAMESPACE,
      pods: 200,
      sees: true,
      secrets: 403,
      user: "system:serviceaccount:default:pod-lister",
      boundPod: ["in-cluster"],
    });
  });

  it("gives a pod without a token none, and says why a pod whose secret volume names no Secret waits", async () => {
    await createPod("no-token", {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1; echo host=$KUBERNETES_SERVICE_HOST"] }],
    });
    await until("the pod to succeed", async () => (await core.readNamespacedPod({ name: "no-token", namespace: NAMESPACE })).status?.phase === "Succeeded");
    const log = await core.readNamespacedPodLog({ name: "no-token", namespace: NAMESPACE, container: "main" });
    expect(log).toMatch(/No such file or directory/);
    expect(log).toContain(`host=${controlPlane.inClusterEndpoint.host}`);

    await createPod("secret-missing", {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      containers: [{ name: "main", image: IMAGE, command: ["cat", "/s/key"], volumeMounts: [{ name: "s", mountPath: "/s" }] }],
      volumes: [{ name: "s", secret: { secretName: "later" } }],
    });
    await until("a FailedMount event", async () =>
      (await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: "involvedObject.name=secret-missing" })).items.some((e) => e.reason === "FailedMount"),
    );
    // Once the Secret exists, the pod starts with its content.
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name: "later" }, stringData: { key: "the value" } } });
    await until("the pod to succeed", async () => (await core.readNamespacedPod({ name: "secret-missing", namespace: NAMESPACE })).status?.phase === "Succeeded");
    expect(await core.readNamespacedPodLog({ name: "secret-missing", namespace: NAMESPACE, container: "main" })).toBe("the value");
  });
});
