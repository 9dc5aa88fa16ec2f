import { request } from "node:https";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { controlPlaneBinaries } from "./binaries.js";
import { TestCertificateAuthority, serviceAccountKeys, type CertificateFiles, type ClientIdentity } from "./certificates.js";
import { machineAddress } from "./host-address.js";
import { writeKubeconfig } from "./kubeconfig.js";
import { freePort, startProcess, type ManagedProcess } from "./processes.js";

export interface ControlPlaneOptions {
  /** Extra kube-apiserver flags (`--name=value`), appended after ours. */
  readonly apiServerFlags?: readonly string[];
  /** Extra kube-controller-manager flags. */
  readonly controllerManagerFlags?: readonly string[];
  /** Extra kube-scheduler flags. */
  readonly schedulerFlags?: readonly string[];
  /** How long to wait for every component to be ready (default 120 s: the machine may be loaded). */
  readonly readyTimeoutMs?: number;
  /** Keep the temporary folder (certificates, logs, etcd data) after close, for debugging. */
  readonly keepDir?: boolean;
}

/** A running Kubernetes control plane: real etcd, kube-apiserver, kube-controller-manager and kube-scheduler. */
export interface ControlPlane {
  /** The temporary folder holding certificates, kubeconfigs, logs and etcd's data. */
  readonly dir: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /**
   * Where pods reach the API server (what a kubelet puts in KUBERNETES_SERVICE_HOST and
   * KUBERNETES_SERVICE_PORT): this machine's external address, which containers on Podman's bridge
   * reach (loopback in a container is the container's own). The serving certificate names it.
   */
  readonly inClusterEndpoint: { readonly host: string; readonly port: number };
  /** The cluster CA certificate file (it signs the API server's serving certificate and every client certificate). */
  readonly caFile: string;
  /** A kubeconfig of a cluster administrator (group system:masters). */
  readonly adminKubeconfig: string;
  /** The log file of each component. */
  readonly logs: Readonly<Record<ComponentName, string>>;
  /** A @kubernetes/client-node configuration for the administrator. */
  adminConfig(): KubeConfig;
  /**
   * A kubeconfig that authenticates as a ServiceAccount (a bound token from the TokenRequest
   * API, valid for `expirationSeconds`, default one hour). The account must exist; what it may do
   * is what RBAC grants it, so tests can check a least-privilege Role against the real authoriser.
   */
  kubeconfigForServiceAccount(namespace: string, name: string, options?: { expirationSeconds?: number }): Promise<string>;
  /** A kubeconfig with a client certificate for any user and groups (e.g. `system:node:<name>` in `system:nodes`). */
  kubeconfigForUser(identity: ClientIdentity): string;
  /**
   * The user the API server is when it calls a kubelet (logs, exec): the CN of its
   * `--kubelet-client-certificate`, signed by the cluster CA. A kubelet serving its API checks it.
   */
  readonly kubeletClientUser: string;
  /**
   * A serving certificate for a kubelet's API, signed by the cluster CA, which the API server
   * trusts for kubelets (`--kubelet-certificate-authority`).
   */
  kubeletServingCertificate(name: string, dnsNames: readonly string[], ips: readonly string[]): CertificateFiles;
  /** Stops and restarts kube-apiserver on the same port and storage, as an API server restart in a cluster would. */
  restartApiServer(): Promise<void>;
  /** Stops every component (each in its own process group) and removes the folder. */
  close(): Promise<void>;
}

export type ComponentName = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler";

/** The service network the API server allocates ClusterIPs from (no proxy makes them reachable). */
const SERVICE_CIDR = "10.96.0.0/16";
const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

let kubeconfigCount = 0;

/**
 * Starts a real control plane (clients on loopback, pods at the machine's address) under a new temporary folder: etcd, then kube-apiserver
 * (client certificates, Node and RBAC authorisation, the NodeRestriction admission plugin on top of
 * the defaults, service-account token signing), then kube-controller-manager (all default
 * controllers, Job and service-account token controllers among them, each with its own service
 * account) and kube-scheduler, and waits until each says it is healthy. No node exists yet: start a
 * `StandInKubelet` to have pods run.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = await controlPlaneBinaries();
  const dir = mkdtempSync(join(tmpdir(), "knitfab-kube-"));
  const processes: ManagedProcess[] = [];
  const closeAll = async () => {
    // In reverse: the API server goes before etcd, so it does not spend its last seconds retrying.
    for (const process of [...processes].reverse()) await process.stop();
  };
  try {
    return await start(bin, dir, options, processes, closeAll);
  } catch (error) {
    await closeAll();
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function start(
  bin: string,
  dir: string,
  options: ControlPlaneOptions,
  processes: ManagedProcess[],
  closeAll: () => Promise<void>,
): Promise<ControlPlane> {
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const pki = join(dir, "pki");
  const logDir = join(dir, "logs");
  mkdirSync(pki);
  mkdirSync(logDir);
  const logs: Record<ComponentName, string> = {
    etcd: join(logDir, "etcd.log"),
    "kube-apiserver": join(logDir, "kube-apiserver.log"),
    "kube-controller-manager": join(logDir, "kube-controller-manager.log"),
    "kube-scheduler": join(logDir, "kube-scheduler.log"),
  };

  const ca = new TestCertificateAuthority(pki);
  const serviceAccountKey = serviceAccountKeys(pki);
  const [etcdPort, etcdPeerPort, apiPort, controllerManagerPort, schedulerPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const podAddress = machineAddress();
  const serving = ca.server("kube-apiserver", ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"], [
    "127.0.0.1",
    "10.96.0.1",
    podAddress,
  ]);
  const kubeconfigFor = (name: string, identity: ClientIdentity): string => {
    const files = ca.client(name, identity);
    return writeKubeconfig(join(dir, `${name}.kubeconfig`), {
      server,
      caFile: ca.cert,
      user: identity.user,
      credentials: { clientCertificate: files.cert, clientKey: files.key },
    });
  };
  const adminKubeconfig = kubeconfigFor("admin", { user: "knitfab-test-admin", groups: ["system:masters"] });
  const controllerManagerKubeconfig = kubeconfigFor("kube-controller-manager", { user: "system:kube-controller-manager" });
  const schedulerKubeconfig = kubeconfigFor("kube-scheduler", { user: "system:kube-scheduler" });
  // The API server's own identity towards kubelets, as kubeadm makes it (CN kube-apiserver-kubelet-client).
  const kubeletClientUser = "kube-apiserver-kubelet-client";
  const kubeletClient = ca.client("kube-apiserver-kubelet-client", { user: kubeletClientUser, groups: ["system:masters"] });
  const admin = ca.client("admin-probe", { user: "knitfab-test-admin", groups: ["system:masters"] });

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = startProcess("etcd", join(bin, "etcd"), [
    "--name=knitfab-test",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=knitfab-test=http://127.0.0.1:${etcdPeerPort}`,
    // Test data: losing it on a power cut is fine, and fsync on a loaded shared disk is slow.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ], logs.etcd);
  processes.push(etcd);
  await waitFor("etcd", etcd, timeoutMs, () => httpGetOk(`${etcdUrl}/health`));

  const apiServerArgs = [
    `--etcd-servers=${etcdUrl}`,
    // Every address: this process's clients use loopback, pods (in Podman containers) the
    // machine's external address, as in-cluster clients reach a real API server.
    "--bind-address=0.0.0.0",
    `--advertise-address=${podAddress}`,
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${ca.cert}`,
    "--authorization-mode=Node,RBAC",
    // NodeRestriction on top of the default plugins (NamespaceLifecycle, LimitRanger, ServiceAccount,
    // DefaultTolerationSeconds, DefaultStorageClass, Priority, ResourceQuota, ... stay on).
    "--enable-admission-plugins=NodeRestriction",
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${serviceAccountKey.publicKey}`,
    `--service-account-signing-key-file=${serviceAccountKey.privateKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--allow-privileged=true",
    // Calls to a kubelet (pod logs, node proxy) go to its node's InternalIP (stand-in kubelets serve
    // on this machine's address) at the port in the node's status.daemonEndpoints, with a client certificate,
    // and verify the kubelet's serving certificate against the cluster CA.
    "--kubelet-preferred-address-types=InternalIP,Hostname",
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    `--kubelet-certificate-authority=${ca.cert}`,
    "--profiling=false",
    "--v=1",
    ...(options.apiServerFlags ?? []),
  ];
  const startApiServer = () => startProcess("kube-apiserver", join(bin, "kube-apiserver"), apiServerArgs, logs["kube-apiserver"]);
  let apiServer = startApiServer();
  processes.push(apiServer);
  const readyz = () => httpsGetOk(`${server}/readyz`, ca.cert, admin.cert, admin.key);
  await waitFor("kube-apiserver", apiServer, timeoutMs, readyz);

  const controllerManager = startProcess("kube-controller-manager", join(bin, "kube-controller-manager"), [
    `--kubeconfig=${controllerManagerKubeconfig}`,
    `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
    `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${controllerManagerPort}`,
    "--leader-elect=false",
    // Every default controller (job, serviceaccount, serviceaccount-token, garbage collector,
    // namespace, persistentvolume-binder, node lifecycle, ttl-after-finished, ...), each under its
    // own service account as in a cluster.
    "--controllers=*",
    "--use-service-account-credentials=true",
    `--service-account-private-key-file=${serviceAccountKey.privateKey}`,
    `--root-ca-file=${ca.cert}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--v=1",
    ...(options.controllerManagerFlags ?? []),
  ], logs["kube-controller-manager"]);
  processes.push(controllerManager);
  const scheduler = startProcess("kube-scheduler", join(bin, "kube-scheduler"), [
    `--kubeconfig=${schedulerKubeconfig}`,
    `--authentication-kubeconfig=${schedulerKubeconfig}`,
    `--authorization-kubeconfig=${schedulerKubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${schedulerPort}`,
    "--leader-elect=false",
    "--v=1",
    ...(options.schedulerFlags ?? []),
  ], logs["kube-scheduler"]);
  processes.push(scheduler);
  // Their /healthz answers anonymously over a self-signed certificate of their own.
  await waitFor("kube-scheduler", scheduler, timeoutMs, () => httpsGetOk(`https://127.0.0.1:${schedulerPort}/healthz`));
  await waitFor("kube-controller-manager", controllerManager, timeoutMs, () => httpsGetOk(`https://127.0.0.1:${controllerManagerPort}/healthz`));

  const adminConfig = (): KubeConfig => {
    const config = new KubeConfig();
    config.loadFromFile(adminKubeconfig);
    return config;
  };
  // Pods can be created only once their namespace's `default` ServiceAccount exists (the
  // ServiceAccount admission plugin), which the controller manager makes.
  const core = adminConfig().makeApiClient(CoreV1Api);
  await waitFor("kube-controller-manager (default service account)", controllerManager, timeoutMs, async () => {
    try {
      await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
      return true;
    } catch {
      return false;
    }
  });

  let closed = false;
  return {
    dir,
    server,
    inClusterEndpoint: { host: podAddress, port: Number(apiPort) },
    caFile: ca.cert,
    adminKubeconfig,
    logs,
    adminConfig,
    kubeletClientUser,
    kubeletServingCertificate(name, dnsNames, ips) {
      return ca.server(name, dnsNames, ips);
    },
    async kubeconfigForServiceAccount(namespace, name, tokenOptions = {}) {
      const response = await core.createNamespacedServiceAccountToken({
        name,
        namespace,
        body: { spec: { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: tokenOptions.expirationSeconds ?? 3600 } },
      });
      const token = response.status?.token;
      if (!token) throw new Error(`kube-testing: the API server returned no token for service account ${namespace}/${name}`);
      kubeconfigCount += 1;
      return writeKubeconfig(join(dir, `sa-${namespace}-${name}-${kubeconfigCount}.kubeconfig`), {
        server,
        caFile: ca.cert,
        user: `system:serviceaccount:${namespace}:${name}`,
        credentials: { token },
      });
    },
    kubeconfigForUser(identity) {
      kubeconfigCount += 1;
      return kubeconfigFor(`user-${kubeconfigCount}`, identity);
    },
    async restartApiServer() {
      await apiServer.stop();
      processes.splice(processes.indexOf(apiServer), 1, (apiServer = startApiServer()));
      await waitFor("kube-apiserver (restarted)", apiServer, timeoutMs, readyz);
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeAll();
      if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it is true; fails early, with the end of the log, when the process exits. */
async function waitFor(what: string, process: ManagedProcess, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = process.exited();
    if (exit) {
      throw new Error(`kube-testing: ${process.name} exited (code ${exit.code}, signal ${exit.signal}) before ${what} was ready:\n${tail(process.logFile)}`);
    }
    if (await probe()) return;
    if (Date.now() > deadline) {
      throw new Error(`kube-testing: ${what} was not ready within ${timeoutMs} ms:\n${tail(process.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

async function httpGetOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * GET over TLS with the cluster CA and an admin client certificate, or, without a CA, accepting
 * the self-signed certificate that the scheduler and controller manager make for their health port.
 */
function httpsGetOk(url: string, caFile?: string, certFile?: string, keyFile?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: "GET",
        timeout: 2000,
        ...(caFile ? { ca: readFileSync(caFile) } : { rejectUnauthorized: false }),
        ...(certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : {}),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
