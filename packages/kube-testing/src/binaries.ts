import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The control-plane programs that scripts/build-kube-control-plane.sh builds. */
export const CONTROL_PLANE_BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BUILD_SCRIPT = join(REPOSITORY_ROOT, "scripts", "build-kube-control-plane.sh");

function missingIn(dir: string): ControlPlaneBinary[] {
  return CONTROL_PLANE_BINARIES.filter((binary) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

let resolved: Promise<string> | undefined;

/**
 * The folder holding the control-plane binaries. `KNITFAB_KUBE_BIN` names a prepared folder;
 * otherwise the build script runs (a no-op once the binaries are cached, minutes when cold), so a
 * test never skips for want of binaries: it gets them or fails saying why.
 */
export function controlPlaneBinaries(): Promise<string> {
  resolved ??= locate();
  return resolved;
}

async function locate(): Promise<string> {
  const given = process.env.KNITFAB_KUBE_BIN;
  if (given) {
    const missing = missingIn(given);
    if (missing.length > 0) {
      throw new Error(`kube-testing: KNITFAB_KUBE_BIN=${given} lacks ${missing.join(", ")}; unset it to build them with ${BUILD_SCRIPT}`);
    }
    return given;
  }
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn("bash", [BUILD_SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
      // The cold build takes minutes; say so rather than look hung.
      if (process.env.KNITFAB_KUBE_VERBOSE || chunk.includes("building")) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
  });
  const dir = stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !dir) {
    throw new Error(`kube-testing: building the Kubernetes control plane failed (exit ${code}):\n${stderr.slice(-4000)}`);
  }
  const missing = missingIn(dir);
  if (missing.length > 0) throw new Error(`kube-testing: ${BUILD_SCRIPT} printed ${dir}, which lacks ${missing.join(", ")}`);
  return dir;
}
