import { INPUT_LIMITS, checkCount, checkText } from "./limits.js";
import type { MountpointSpec, PlanSpec } from "./plan-spec.js";

/**
 * The spec, or a 400 when a field breaks INPUT_LIMITS: too many mountpoints, tags, annotations
 * or arguments, a path or argument too long, a NUL anywhere. Tags and annotations were checked
 * one by one when they were parsed; this checks the rest of the plan.
 */
export function checkPlanSpecLimits(spec: PlanSpec): PlanSpec {
  checkText("image repository", spec.image.repository, INPUT_LIMITS.imageRepositoryBytes);
  checkMountpoints("inputs", spec.inputs);
  checkMountpoints("outputs", spec.outputs);
  if (spec.log) checkCount("tags of the log", spec.log.tags, INPUT_LIMITS.tagsPerList);
  checkArguments("entrypoint", spec.entrypoint);
  checkArguments("args", spec.args);
  checkCount("annotations", spec.annotations, INPUT_LIMITS.annotationsPerList);
  for (const type of Object.keys(spec.resources)) checkText("resource type", type, INPUT_LIMITS.resourceTypeBytes);
  if (spec.serviceAccount !== null) checkText("service_account", spec.serviceAccount, INPUT_LIMITS.serviceAccountBytes);
  return spec;
}

function checkMountpoints(what: "inputs" | "outputs", mountpoints: readonly MountpointSpec[]): void {
  checkCount(what, mountpoints, INPUT_LIMITS.mountpointsPerPlan);
  mountpoints.forEach((mountpoint, nth) => {
    checkText(`${what}[${nth}].path`, mountpoint.path, INPUT_LIMITS.pathBytes);
    checkCount(`tags of ${what}[${nth}]`, mountpoint.tags, INPUT_LIMITS.tagsPerList);
  });
}

function checkArguments(what: "entrypoint" | "args", items: readonly string[]): void {
  checkCount(`items in ${what}`, items, INPUT_LIMITS.argumentsPerList);
  items.forEach((item, nth) => checkText(`${what}[${nth}]`, item, INPUT_LIMITS.argumentBytes));
}
