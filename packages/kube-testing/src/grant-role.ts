import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1PolicyRule } from "@kubernetes/client-node";
import { errorStatus } from "./clients.js";

/**
 * What an administrator does for each component (the README's lists of privileges): a service
 * account of `namespace` (made unless it exists) bound to a Role `role` of exactly `rules`.
 */
export async function grantRole(admin: KubeConfig, namespace: string, serviceAccount: string, role: string, rules: V1PolicyRule[]): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccount } } });
  } catch (error) {
    if (errorStatus(error) !== 409) throw error;
  }
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: role }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: role },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
    },
  });
}

/** The kubernetes runtime's rules, exactly (the README's "Privileges"): worker Jobs, their pods and logs. */
export const RUNTIME_RULES: V1PolicyRule[] = [
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
];

/** What the pvc store needs besides the runtime's rules: Data claims, and pods created (its agents). */
export const PVC_STORE_RULES: V1PolicyRule[] = [
  { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["create", "get", "list", "patch", "delete"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["create"] },
];
