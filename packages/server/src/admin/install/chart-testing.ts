/**
 * Test support for the chart: a real helm (helm-binary.ts), rendering to objects, and validation of
 * each object against the official Kubernetes schemas packaged by `kubernetes-models` (5.x:
 * Kubernetes v1.36), as packages/drivers/src/runtime/kubernetes/job-spec.schema.test.ts does.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1/PriorityClass";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass";
import { helmFromLayer } from "./helm-binary.js";

const run = promisify(execFile);

export const CHART = fileURLToPath(new URL("../../../../../charts/knitfab", import.meta.url));

/** A rendered object, as JSON. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export async function helm(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = await helmFromLayer();
  return run(path, [...args], { maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`rendered YAML is invalid: ${document.errors.map((error) => error.message).join("; ")}`);
      return document.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}

/** `helm template` with value files (and --set pairs); throws with helm's message when it fails. */
export async function render(valueFiles: readonly string[] = [], set: readonly string[] = []): Promise<Manifest[]> {
  const result = await helm(["template", "knitfab", CHART, "--namespace", "knitfab", ...valueFiles.flatMap((file) => ["--values", file]), ...set.flatMap((pair) => ["--set", pair])]);
  if (result.code !== 0) throw new Error(result.stderr);
  return parseManifests(result.stdout);
}

interface Model {
  validate(): void;
}
// every kind the chart renders: one not here fails the validation (and so the tests)
const MODELS: Record<string, new (data: never) => Model> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/DaemonSet": DaemonSet,
  "batch/v1/Job": Job,
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "scheduling.k8s.io/v1/PriorityClass": PriorityClass,
  "storage.k8s.io/v1/StorageClass": StorageClass,
};

/** Validates one object against its schema; throws with the schema's complaint. */
export function validateManifest(manifest: Manifest): void {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`${manifest.apiVersion} ${manifest.kind} ${manifest.metadata.name}: no schema known for this kind`);
  try {
    new model(JSON.parse(JSON.stringify(manifest)) as never).validate();
  } catch (error) {
    throw new Error(`${manifest.kind} ${manifest.metadata.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const named = (manifests: readonly Manifest[], kind: string, name: string): Manifest | undefined =>
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);

export const namesOf = (manifests: readonly Manifest[], kind: string): string[] =>
  manifests.filter((manifest) => manifest.kind === kind).map((manifest) => manifest.metadata.name).sort();

/** A Secret's stringData (empty when none). */
export const stringDataOf = (manifest: Manifest | undefined): Record<string, string> =>
  ((manifest as { stringData?: Record<string, string> } | undefined)?.stringData ?? {});
