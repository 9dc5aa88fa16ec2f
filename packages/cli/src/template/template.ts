import { posix } from "node:path";
import type { KnitEnv } from "../profile/knitenv.js";
import { formatTag } from "@knitfab/domain/tags";
import type { ImageConfig } from "./image-archive.js";

/** What a generated plan file says, before it is written as commented YAML. */
export interface PlanTemplate {
  image: string;
  entrypoint: string[];
  args: string[];
  inputs: { path: string; tags: string[] }[];
  outputs: { path: string; tags: string[] }[];
  logTags: string[];
  resources: { cpu: string; memory: string };
}

function baseTags(env: KnitEnv): string[] {
  return env.tags.map(formatTag);
}

function resources(env: KnitEnv): { cpu: string; memory: string } {
  return { cpu: env.resources.cpu ?? "1", memory: env.resources.memory ?? "1Gi" };
}

export function scratchTemplate(env: KnitEnv): PlanTemplate {
  const tags = env.tags.length ? baseTags(env) : ["example:tag"];
  return {
    image: "image:version",
    entrypoint: [],
    args: [],
    inputs: [{ path: "/in", tags }],
    outputs: [{ path: "/out", tags }],
    logTags: ["type:log", ...tags],
    resources: resources(env),
  };
}

const INPUT = /(^|\/)in(\/|$)/;
const OUTPUT = /(^|\/)out(\/|$)/;

function typeTag(path: string): string | undefined {
  const segment = path.split("/").filter((s) => s !== "" && s !== "in" && s !== "out").at(-1);
  return segment === undefined ? undefined : `type:${segment}`;
}

/** Fills a template from an image config: mountpoints from Entrypoint, Cmd and Volumes entries. */
export function imageTemplate(config: ImageConfig, name: string | undefined, env: KnitEnv): PlanTemplate {
  const workingDir = config.WorkingDir || "/";
  const entries = [...(config.Entrypoint ?? []), ...(config.Cmd ?? []), ...Object.keys(config.Volumes ?? {})];
  const inputs = new Map<string, string[]>();
  const outputs = new Map<string, string[]>();
  for (const entry of entries) {
    // A shell command line is not a path; `--flag=/in/x` names the path after `=`.
    if (/\s/.test(entry)) continue;
    const raw = entry.includes("=") ? entry.slice(entry.lastIndexOf("=") + 1) : entry;
    if (raw === "") continue;
    const path = posix.normalize(posix.resolve(workingDir, raw));
    const target = INPUT.test(raw) ? inputs : OUTPUT.test(raw) ? outputs : undefined;
    if (!target || target.has(path)) continue;
    const type = typeTag(path);
    target.set(path, [...baseTags(env), ...(type ? [type] : [])]);
  }
  let image = "IMAGE:TAG";
  if (name) {
    const lastSlash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    image = colon > lastSlash ? name : `${name}:latest`;
  }
  return {
    image,
    entrypoint: config.Entrypoint ?? [],
    args: config.Cmd ?? [],
    inputs: [...inputs].map(([path, tags]) => ({ path, tags })),
    outputs: [...outputs].map(([path, tags]) => ({ path, tags })),
    logTags: ["type:log", ...baseTags(env)],
    resources: resources(env),
  };
}

const q = (s: string) => JSON.stringify(s);
const flow = (list: string[]) => `[${list.map(q).join(", ")}]`;

function mountpointsYaml(list: { path: string; tags: string[] }[]): string {
  if (list.length === 0) return " []\n";
  return `\n${list.map((m) => `  - path: ${q(m.path)}\n    tags:\n${m.tags.map((t) => `      - ${q(t)}\n`).join("") || "      []\n"}`).join("")}`;
}

/** The plan file: a leading blank line, then commented YAML in the reference's key order. */
export function renderTemplate(t: PlanTemplate): string {
  return `
# annotations (optional): free-form KEY=VALUE notes on the Plan.
annotations: []

# image: container image (repository:tag) that Runs of this Plan execute.
image: ${q(t.image)}

# entrypoint and args (optional): override the image's ENTRYPOINT and CMD.
entrypoint: ${flow(t.entrypoint)}
args: ${flow(t.args)}

# inputs: where Data is mounted. A Run starts for every combination of Data whose tags
# include all the tags of each input.
inputs:${mountpointsYaml(t.inputs)}
# outputs: folders whose content becomes new Data, tagged with these tags.
outputs:${mountpointsYaml(t.outputs)}
# log (optional): the standard output and error of the Run, kept as Data with these tags.
log:
  tags:
${t.logTags.map((tag) => `    - ${q(tag)}\n`).join("")}
# active: false holds new Runs of this Plan until it is activated ('knit plan active yes').
active: true

# resources: limits for each Run's container (cpu in cores, memory in bytes such as 1Gi).
resources:
  cpu: ${q(t.resources.cpu)}
  memory: ${q(t.resources.memory)}

# on_node (optional): node labels (KEY=VALUE) that Runs may / prefer to / must be scheduled on.
# on_node:
#   may:
#     - "vram=large"
#   prefer:
#     - "vram=large"
#   must:
#     - "accelerator=gpu"

# service_account (optional): the service account Runs are executed with.
# service_account: "default"
`;
}
