/**
 * Test tooling only (never shipped): a real Kubernetes control plane built from Go modules, and a
 * STAND-IN kubelet and provisioner that run the pods it schedules with `podman kube play`.
 * See test-tools/kube-control-plane/README.md for what is real and what is stood in.
 */
export { startControlPlane, type ControlPlane, type ControlPlaneOptions, type ComponentName } from "./control-plane.js";
export { controlPlaneBinaries, BUILD_SCRIPT, CONTROL_PLANE_BINARIES } from "./binaries.js";
export { startStandInKubelet, STAND_IN_LABEL, type StandInKubelet, type StandInKubeletOptions, type StandInNodeOptions } from "./stand-in-kubelet.js";
export { STAND_IN_CSI_DRIVER, type StandInStorageClassOptions } from "./stand-in-provisioner.js";
export { clientFor, nodeIdentity, errorStatus } from "./clients.js";
export { writeKubeconfig } from "./kubeconfig.js";
export { grantRole, RUNTIME_RULES, PVC_STORE_RULES } from "./grant-role.js";
export type { ClientIdentity } from "./certificates.js";
export { waitUntil, WAIT_MS } from "./wait.js";
export { startStandInNodePorts, nodePortsOf, servicePortsOf, type StandInNodePorts, type StandInNodePortsOptions } from "./stand-in-node-ports.js";
