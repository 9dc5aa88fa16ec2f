/**
 * charts/knitfab with a real helm (v4, from the dev dependency's layer): lint, and the manifests of
 * the default and of a customised values file, each valid against the Kubernetes v1.36 schemas and
 * holding every component of the seed's chapter 3.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseHooks } from "@knitfab/engine";
import { parseExtraApis } from "../../extra-apis-file.js";
import { CHART, helm, named, stringDataOf, namesOf, render, validateManifest, type Manifest } from "./chart-testing.js";

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  resources?: { requests?: Record<string, string> };
  command?: string[];
  readinessProbe?: { httpGet?: { path: string; scheme?: string } };
  livenessProbe?: { httpGet?: { path: string; scheme?: string } };
  securityContext?: { allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  containers: Container[];
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean };
  volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
  tolerations?: { key?: string; operator?: string; effect?: string }[];
}
const podOf = (manifest: Manifest | undefined): PodSpec => {
  if (!manifest) throw new Error("no such object");
  return (manifest.spec as { template: { spec: PodSpec } }).template.spec;
};
const replicasOf = (manifest: Manifest | undefined) => (manifest?.spec as { replicas?: number } | undefined)?.replicas;
const dataOf = (manifest: Manifest | undefined) => (manifest as { data?: Record<string, string> } | undefined)?.data ?? {};

const LOOP_DEPLOYMENTS = ["projection-leader", "initialize-leader", "run-management-leader", "finishing-leader", "garbage-collection-leader", "housekeeping-leader"];
const LOOP_ROLES = ["projection", "initialize", "run-management", "finishing", "garbage-collection", "housekeeping"];

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "knitfab-chart-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const CUSTOM = {
  imageRepository: "registry.example:5000/knitfab",
  image: { tag: "9.9.9" },
  knitd: { replicas: 3, port: 31803 },
  knitd_backend: { replicas: 3 },
  loops: Object.fromEntries(["projection", "initialize", "run_management", "housekeeping", "finishing", "gc"].map((key) => [key, { replicas: 3 }])),
  database: { external: true, externalUrl: "postgres://knit:secret@db.example:5432/knit" },
  imageRegistry: { use: false },
  storage: { create: false, class: { data: "fast-nfs", system: "standard" } },
  vex: { use: true, image: "registry.example:5000/knit-vex:1.0" },
  extraApi: { endpoints: [{ path: "/models", proxy_to: "http://models.ml.svc" }] },
  hooks: { "lifecycle-hooks": { before: ["http://hooks.example/before"], after: ["http://hooks.example/after"] } },
};

async function customFile(values: unknown = CUSTOM): Promise<string> {
  const file = join(folder, `values-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, stringify(values));
  return file;
}

/** What every server container must have, whatever the values. */
function checkServerContainers(manifests: Manifest[]): void {
  for (const manifest of manifests.filter((item) => ["Deployment", "DaemonSet", "Job"].includes(item.kind))) {
    const pod = manifest.kind === "Job" ? (manifest.spec as { template: { spec: PodSpec } }).template.spec : podOf(manifest);
    for (const container of pod.containers) {
      const where = `${manifest.kind} ${manifest.metadata.name} container ${container.name}`;
      expect(container.resources?.requests, where).toBeDefined();
      expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
      expect(container.securityContext?.capabilities?.drop, where).toEqual(["ALL"]);
      expect(container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, where).toBe(true);
    }
  }
}

describe("charts/knitfab", () => {
  it("passes helm lint with the default and the customised values", async () => {
    const defaults = await helm(["lint", CHART]);
    expect(defaults.stdout + defaults.stderr).toContain("0 chart(s) failed");
    expect(defaults.code).toBe(0);
    const custom = await helm(["lint", CHART, "--values", await customFile()]);
    expect(custom.code, custom.stdout + custom.stderr).toBe(0);
  });

  it("renders, by default, every component of the seed's chapter 3, each valid against the Kubernetes schemas", async () => {
    const manifests = await render();
    for (const manifest of manifests) validateManifest(manifest);

    expect(namesOf(manifests, "Deployment")).toEqual(
      ["database-postgres", "image-registry-registry", "knitd", "knitd-backend", ...LOOP_DEPLOYMENTS].sort(),
    );
    expect(namesOf(manifests, "Service")).toEqual(["database", "image-registry", "knitd", "knitd-backend"]);
    const nodePorts = (name: string) => (named(manifests, "Service", name)?.spec as { ports: { nodePort?: number }[] }).ports.map((port) => port.nodePort);
    expect(nodePorts("knitd")).toEqual([30803]);
    expect(nodePorts("image-registry")).toEqual([30503]);
    expect(namesOf(manifests, "PersistentVolumeClaim")).toEqual(["database-pgdata", "image-registry-registry-root"]);
    expect(namesOf(manifests, "StorageClass")).toEqual(["knitfab-storage-data", "knitfab-storage-system"]);
    for (const name of namesOf(manifests, "StorageClass")) expect((named(manifests, "StorageClass", name) as { provisioner?: string }).provisioner).toBe("nfs.csi.k8s.io");
    expect(named(manifests, "PriorityClass", "knit-worker-priority")).toMatchObject({ value: 1000000000, preemptionPolicy: "Never", globalDefault: false });
    expect(namesOf(manifests, "ConfigMap")).toEqual(["extra-api-config", "hooks-config"]);
    expect(parseHooks(dataOf(named(manifests, "ConfigMap", "hooks-config"))["hooks.yaml"] ?? "")).toEqual({ before: [], after: [] });
    expect(parseExtraApis(dataOf(named(manifests, "ConfigMap", "extra-api-config"))["extra-apis.yaml"] ?? "", "extra-apis.yaml")).toEqual([]);
    // the log sidecar's token (rbac.test.ts checks its account's rights)
    expect(namesOf(manifests, "Secret")).toEqual(["database-credential", "knit-nurse-secret", "schema-upgrader-database"]);
    expect(namesOf(manifests, "DaemonSet")).toEqual([]);
    expect(namesOf(manifests, "ServiceAccount")).toEqual(
      ["garbage-collection", "knit-nurse", "knitd", "knitd-backend", "loop-finishing", "loop-housekeep", "loop-initialize", "loop-projection", "loop-run-management"],
    );
    // projection touches neither Data nor workers: no Role
    expect(namesOf(manifests, "Role")).not.toContain("loop-projection");
    expect(namesOf(manifests, "Role")).toHaveLength(8);

    // each role's Deployment runs the server with its --role, one replica, on PostgreSQL and the kubernetes runtime
    const roles = ["api", "backend", ...LOOP_ROLES];
    const deployments = ["knitd", "knitd-backend", ...LOOP_DEPLOYMENTS];
    deployments.forEach((name, index) => {
      const deployment = named(manifests, "Deployment", name);
      expect(replicasOf(deployment)).toBe(1);
      const [container] = podOf(deployment).containers;
      expect(container?.image).toBe("knitfab-server:0.1.0");
      expect(container?.args).toEqual(expect.arrayContaining(["serve", `--role=${roles[index]}`, "--runtime=kubernetes", "--namespace=knitfab", "--priority-class=knit-worker-priority"]));
      // Data on claims of the data storage class, moved by agents of the same image
      expect(container?.args).toEqual(expect.arrayContaining(["--store=pvc", "--storage-class=knitfab-storage-data", "--data-size=1Gi", "--agent-image=knitfab-server:0.1.0"]));
      expect(container?.env?.find((item) => item.name === "KNITFAB_DATABASE_URL")?.value).toBe("postgres://database.knitfab.svc.cluster.local:5432/knit");
      expect(container?.env?.find((item) => item.name === "PGPASSWORD")?.valueFrom?.secretKeyRef).toEqual({ name: "database-credential", key: "password" });
    });
    // the HTTP roles are probed on the server's real routes
    for (const name of ["knitd", "knitd-backend"]) {
      const [container] = podOf(named(manifests, "Deployment", name)).containers;
      expect(container?.readinessProbe?.httpGet?.path).toBe("/readyz");
      expect(container?.livenessProbe?.httpGet?.path).toBe("/healthz");
    }
    checkServerContainers(manifests);

    // the database password is one, in the server's Secret and the migration Job's
    const password = stringDataOf(named(manifests, "Secret", "database-credential")).password;
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(stringDataOf(named(manifests, "Secret", "schema-upgrader-database")).password).toBe(password);
  });

  it("migrates in a hook Job before each upgrade, running knitfab admin migrate", async () => {
    const manifests = await render();
    const job = named(manifests, "Job", "schema-upgrader-1");
    expect(job?.metadata.annotations?.["helm.sh/hook"]).toBe("pre-upgrade");
    const [container] = (job?.spec as { template: { spec: PodSpec } }).template.spec.containers;
    expect(container?.args).toEqual(["admin", "migrate"]);
    // an external database exists before the install: migrated before install too
    const external = await render([], ["database.external=true", "database.externalUrl=postgres://u:p@db:5432/knit"]);
    expect(named(external, "Job", "schema-upgrader-1")?.metadata.annotations?.["helm.sh/hook"]).toBe("pre-install,pre-upgrade");
  });

  it("renders a customised values file: external PostgreSQL, 3 replicas, no registry, existing storage classes, vex, extra APIs, hooks", async () => {
    const manifests = await render([await customFile()]);
    for (const manifest of manifests) validateManifest(manifest);

    expect(namesOf(manifests, "Deployment")).toEqual(["knitd", "knitd-backend", ...LOOP_DEPLOYMENTS].sort());
    for (const name of namesOf(manifests, "Deployment")) expect(replicasOf(named(manifests, "Deployment", name))).toBe(3);
    expect(namesOf(manifests, "Service")).toEqual(["knitd", "knitd-backend"]);
    expect((named(manifests, "Service", "knitd")?.spec as { ports: { nodePort: number }[] }).ports[0]?.nodePort).toBe(31803);
    expect(namesOf(manifests, "StorageClass")).toEqual([]);
    expect(namesOf(manifests, "PersistentVolumeClaim")).toEqual([]);
    expect(namesOf(manifests, "DaemonSet")).toEqual(["knit-vex"]);
    expect(namesOf(manifests, "ClusterRole")).toEqual(["knitfab-knitfab-vex"]);

    // the database: a Secret with the URL, read by every server
    expect(namesOf(manifests, "Secret")).toEqual(["database-credential-url", "knit-nurse-secret", "schema-upgrader-database"]);
    expect(stringDataOf(named(manifests, "Secret", "database-credential-url")).url).toBe(CUSTOM.database.externalUrl);
    const [api] = podOf(named(manifests, "Deployment", "knitd")).containers;
    expect(api?.image).toBe("registry.example:5000/knitfab/knitfab-server:9.9.9");
    expect(api?.env).toEqual([{ name: "KNITFAB_DATABASE_URL", valueFrom: { secretKeyRef: { name: "database-credential-url", key: "url" } } }]);

    // hooks and extra APIs: the ConfigMaps hold them as the server reads them, and the pods mount them
    // (read by the server's own parsers)
    expect(parseHooks(dataOf(named(manifests, "ConfigMap", "hooks-config"))["hooks.yaml"] ?? "")).toEqual(CUSTOM.hooks["lifecycle-hooks"]);
    const extraApis = parseExtraApis(dataOf(named(manifests, "ConfigMap", "extra-api-config"))["extra-apis.yaml"] ?? "", "extra-apis.yaml");
    expect(extraApis.map((endpoint) => [endpoint.path, endpoint.proxyTo.href])).toEqual([["/models", "http://models.ml.svc/"]]);
    expect(api?.args).toEqual(expect.arrayContaining(["--extra-apis=/knit/extra-api/extra-apis.yaml", "--hooks=/knit/hooks/hooks.yaml"]));
    expect(podOf(named(manifests, "Deployment", "knitd")).volumes?.map((volume) => volume.configMap?.name)).toEqual(expect.arrayContaining(["hooks-config", "extra-api-config"]));
    checkServerContainers(manifests);
  });

  it("serves HTTPS, probes included, and the registry with TLS when certificates are given", async () => {
    const base64 = Buffer.from("PEM").toString("base64");
    const manifests = await render([], [`certs.cert=${base64}`, `certs.key=${base64}`, `certs.cacert=${base64}`]);
    for (const manifest of manifests) validateManifest(manifest);
    expect(named(manifests, "Secret", "certs")).toMatchObject({ type: "kubernetes.io/tls", data: { "tls.crt": base64, "tls.key": base64 } });
    const [api] = podOf(named(manifests, "Deployment", "knitd")).containers;
    expect(api?.args).toEqual(expect.arrayContaining(["--tls-cert=/knit/certs/tls.crt", "--tls-key=/knit/certs/tls.key", "--tls-ca=/knit/ca/ca.crt"]));
    expect(api?.readinessProbe?.httpGet?.scheme).toBe("HTTPS");
    const [registry] = podOf(named(manifests, "Deployment", "image-registry-registry")).containers;
    expect(registry?.env).toEqual(expect.arrayContaining([{ name: "REGISTRY_HTTP_TLS_CERTIFICATE", value: "/certs/tls.crt" }]));
  });

  it("uses an existing PriorityClass, or none", async () => {
    const argsOf = (manifests: Manifest[]) => podOf(named(manifests, "Deployment", "run-management-leader")).containers[0]?.args ?? [];
    const existing = await render([], ["worker.priorityClass.create=false", "worker.priorityClassName=batch-low"]);
    expect(namesOf(existing, "PriorityClass")).toEqual([]);
    expect(argsOf(existing)).toContain("--priority-class=batch-low");
    const none = await render([], ["worker.priorityClass.create=false", "worker.priorityClassName="]);
    expect(argsOf(none).filter((arg) => arg.startsWith("--priority-class"))).toEqual([]);
  });

  it("starts the server image by its ENTRYPOINT (the knitfab images have no knitfab on PATH), or by image.command when given", async () => {
    const servers = (manifests: Manifest[]) => [
      ...["knitd", "knitd-backend", ...LOOP_DEPLOYMENTS].map((name) => podOf(named(manifests, "Deployment", name)).containers[0]),
      (named(manifests, "Job", "schema-upgrader-1")?.spec as { template: { spec: PodSpec } }).template.spec.containers[0],
      podOf(named(manifests, "DaemonSet", "knit-vex")).containers[0],
    ];
    for (const container of servers(await render([], ["vex.use=true"]))) expect(container?.command, container?.name).toBeUndefined();
    for (const container of servers(await render([], ["vex.use=true", "image.command={knitfab}"]))) expect(container?.command, container?.name).toEqual(["knitfab"]);
  });

  it("runs the volume expander from the server image on every node when asked, without an image of its own", async () => {
    const withVex = await render([], ["vex.use=true"]);
    const vexPod = podOf(named(withVex, "DaemonSet", "knit-vex"));
    expect(vexPod.containers[0]?.image).toBe("knitfab-server:0.1.0");
    expect(vexPod.containers[0]?.args).toEqual(["vex", "--margin", "1Gi", "--delta", "5Gi", "knitfab"]);
    expect(vexPod.tolerations).toEqual([{ operator: "Exists" }]);
  });

  it("refuses values that cannot work, with a message saying which", async () => {
    await expect(render([], ["database.external=true"])).rejects.toThrow(/database.external needs database.externalUrl/);
    await expect(render([], ["database.external=true", "database.externalUrl=mysql://x"])).rejects.toThrow(/must be a postgres:\/\/ URL/);
    await expect(render([], ["certs.cert=eA=="])).rejects.toThrow(/certs.cert and certs.key go together/);
  });
});
