import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preparePodman } from "@knitfab/testing";
import { END_OF_ARCHIVE, encodeHeader, paddingAfter } from "@knitfab/archive";
import { parse } from "yaml";
import { dotToSvg } from "../src/graph/render.js";
import { newUser, startServer, type Server, type User } from "./harness.js";

interface Plan {
  planId: string;
  image?: string;
  active: boolean;
  annotations?: string[];
  resources?: Record<string, string>;
  service_account?: string;
  inputs: { path: string; tags: string[] }[];
}
interface Run {
  runId: string;
  status: string;
  plan: { planId: string; name?: string };
  inputs: { knitId: string }[];
  outputs: { knitId: string }[];
  log?: { knitId: string } | null;
}

const exec = promisify(execFile);
let server: Server;
let user: User;
let knitId: string;

beforeAll(async () => {
  // The train Plan's image is a real one whose task runs until it is stopped, so that the Run test
  // stops a live Run: an image that exists nowhere fails its Run at once (ErrImagePull), as on Kubernetes.
  await buildSleepingImage("localhost/train:v1");
  server = await startServer();
  user = await newUser();
  expect((await user.knit(["init", server.handout])).code).toBe(0);
  await mkdir(join(user.project, "ds"));
  await writeFile(join(user.project, "ds", "x.csv"), "1,2\n");
  const pushed = await user.knit(["data", "push", "-t", "kind:csv", "ds"]);
  expect(pushed.code, pushed.stderr).toBe(0);
  knitId = (JSON.parse(pushed.stdout) as { knitId: string }).knitId;
});

afterAll(async () => {
  await server?.stop();
  await exec("podman", ["rmi", "-f", "localhost/train:v1"]).catch(() => undefined);
});

async function buildSleepingImage(name: string): Promise<void> {
  await preparePodman();
  const context = await mkdtemp(join(tmpdir(), "knit-e2e-image-"));
  try {
    await exec("sh", ["-c", `printf 'FROM localhost/busybox:test\\nCMD ["sleep", "600"]\\n' | podman build -q -t ${name} -f - ${context}`]);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

describe("knit plan, end to end", () => {
  let first: Plan;
  let second: Plan;

  it("template --scratch output, given an image and its own output tags, applies; apply prints the Plan", async () => {
    await writeFile(join(user.project, "knitenv"), "tag:\n  - kind:csv\nresource:\n  memory: 512Mi\n");
    const template = await user.knit(["plan", "template", "--scratch"]);
    expect(template.code, template.stderr).toBe(0);
    const file = join(user.project, "first.yaml");
    // The scratch template puts the same tags on input and output; a Plan feeding itself is a cycle.
    const outputsAt = template.stdout.indexOf("\noutputs:");
    const edited = template.stdout.slice(0, outputsAt) + template.stdout.slice(outputsAt).replace(/"kind:csv"/g, '"kind:model"');
    await writeFile(file, edited.replace('image: "image:version"', 'image: "localhost/train:v1"').replace("active: true", "active: false"));
    const applied = await user.knit(["plan", "apply", file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^\{\n {4}"planId"/);
    expect(applied.stdout.endsWith("}\n")).toBe(true);
    first = JSON.parse(applied.stdout) as Plan;
    expect(first.image).toBe("localhost/train:v1");
    expect(first.active).toBe(false);
    expect(first.inputs).toEqual([expect.objectContaining({ path: "/in", tags: ["kind:csv"] })]);
    expect(first.resources).toMatchObject({ memory: "512Mi" });

    const again = await user.knit(["plan", "apply", file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/failed to apply Plan/);
  });

  it("template reads a docker-archive on stdin, and its output applies", async () => {
    const files: [string, string][] = [
      ["cfg.json", JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] }, config: { Entrypoint: ["sh", "-c"], Cmd: ["cp -r /in/raw /out/copy"], Volumes: { "/in/raw": {}, "/out/copy": {} } } })],
      ["manifest.json", JSON.stringify([{ Config: "cfg.json", RepoTags: ["localhost/copy:v3"], Layers: [] }])],
    ];
    const archive = Buffer.concat([
      ...files.flatMap(([path, text]) => [
        encodeHeader({ path, type: "File", mode: 0o644, size: Buffer.byteLength(text), mtime: new Date(0) }),
        Buffer.from(text),
        Buffer.alloc(paddingAfter(Buffer.byteLength(text))),
      ]),
      END_OF_ARCHIVE,
    ]);
    const r = await user.knit(["plan", "template", "--env", "/nonexistent/knitenv"], { stdin: archive });
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(r.stdout);
    expect(doc).toMatchObject({
      image: "localhost/copy:v3",
      entrypoint: ["sh", "-c"],
      args: ["cp -r /in/raw /out/copy"],
      inputs: [{ path: "/in/raw", tags: ["type:raw"] }],
      outputs: [{ path: "/out/copy", tags: ["type:copy"] }],
    });
    await writeFile(join(user.project, "copy.yaml"), r.stdout);
    const applied = await user.knit(["plan", "apply", "copy.yaml"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await user.knit(["plan", "template", "other:tag"], { stdin: archive })).stderr).toMatch(/specified image tag 'other:tag' is not found/);
  });

  it("apply explains unreadable and malformed files", async () => {
    const missing = await user.knit(["plan", "apply", "nosuch.yaml"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/fail to read Plan file/);
    await writeFile(join(user.project, "bad.yaml"), "image: [unclosed");
    const bad = await user.knit(["plan", "apply", "bad.yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fail to parse Plan file/);
  });

  it("a second Plan reads the first one's output", async () => {
    await writeFile(join(user.project, "second.yaml"), [
      "image: localhost/evaluate:v1",
      "inputs:",
      "  - path: /in/model",
      "    tags: [\"kind:model\"]",
      "outputs:",
      "  - path: /out/report",
      "    tags: [\"kind:report\"]",
      "",
    ].join("\n"));
    const applied = await user.knit(["plan", "apply", "second.yaml"]);
    expect(applied.code, applied.stderr).toBe(0);
    second = JSON.parse(applied.stdout) as Plan;
  });

  it("show and find", async () => {
    const shown = await user.knit(["plan", "show", first.planId]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ planId: first.planId });
    const missing = await user.knit(["plan", "show", "00000000-0000-0000-0000-000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/planId:00000000-0000-0000-0000-000000000000 is not found/);

    const ids = async (args: string[]) => (JSON.parse((await user.knit(["plan", "find", ...args])).stdout) as Plan[]).map((p) => p.planId).sort();
    expect(await ids(["--image", "localhost/train:v1"])).toEqual([first.planId]);
    expect(await ids(["--image", "localhost/train"])).toEqual([first.planId]);
    expect(await ids(["--active", "no"])).toEqual([first.planId]);
    expect(await ids(["-i", "kind:model", "--active", "yes"])).toEqual([second.planId]);
    expect(await ids(["-o", "kind:report"])).toEqual([second.planId]);
    expect((await user.knit(["plan", "find", "--image", ":v1"])).code).toBe(2);
  });

  it("annotate, resource, serviceaccount and active change the Plan", async () => {
    const annotated = await user.knit(["plan", "annotate", "--add", "owner = alice", "--add", "stage=dev", first.planId]);
    expect(annotated.code, annotated.stderr).toBe(0);
    expect(annotated.stderr).toContain(`Plan:${first.planId} is updated.`);
    expect((JSON.parse(annotated.stdout) as Plan).annotations).toEqual(["owner=alice", "stage=dev"]);
    const removed = await user.knit(["plan", "annotate", "--remove-key", "stage", first.planId]);
    expect((JSON.parse(removed.stdout) as Plan).annotations).toEqual(["owner=alice"]);
    expect((await user.knit(["plan", "annotate", "--add", "novalue", first.planId])).code).toBe(2);

    const resources = await user.knit(["plan", "resource", "--set", "cpu=2", "-s", "memory=1Gi", "--unset", "nvidia.com/gpu", first.planId]);
    expect(resources.code, resources.stderr).toBe(0);
    expect(resources.stdout).toMatch(/^\{\n {2}"planId"/);
    expect(resources.stdout.endsWith("}")).toBe(true);
    expect((JSON.parse(resources.stdout) as Plan).resources).toMatchObject({ cpu: "2", memory: "1Gi" });
    // flarc splits a short flag written with = at the first =: the value is memory=2Gi
    const joined = await user.knit(["plan", "resource", "-s=memory=2Gi", first.planId]);
    expect(joined.code, joined.stderr).toBe(0);
    expect((JSON.parse(joined.stdout) as Plan).resources).toMatchObject({ cpu: "2", memory: "2Gi" });
    const nothing = await user.knit(["plan", "resource", first.planId]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toBe("");
    expect(nothing.stderr).toContain("Nothing to do.");
    expect((await user.knit(["plan", "resource", "--set", "cpu=lots", first.planId])).code).toBe(1);

    const sa = await user.knit(["plan", "serviceaccount", "--set", "trainer", first.planId]);
    expect((JSON.parse(sa.stdout) as Plan).service_account).toBe("trainer");
    const unset = await user.knit(["plan", "serviceaccount", "--unset", first.planId]);
    expect((JSON.parse(unset.stdout) as Plan).service_account).toBeUndefined();
    expect((await user.knit(["plan", "serviceaccount", first.planId])).code).toBe(2);
    expect((await user.knit(["plan", "serviceaccount", "--set", "a", "--unset", first.planId])).code).toBe(2);

    expect((JSON.parse((await user.knit(["plan", "active", "yes", first.planId])).stdout) as Plan).active).toBe(true);
    expect((JSON.parse((await user.knit(["plan", "active", "no", first.planId])).stdout) as Plan).active).toBe(false);
    expect((await user.knit(["plan", "active", "maybe", first.planId])).code).toBe(2);
  });

  it("graph draws both Plans and their link; svg and png render", async () => {
    const dot = await user.knit(["plan", "graph", second.planId]);
    expect(dot.code, dot.stderr).toBe(0);
    expect(dot.stdout).toContain(`"p${second.planId}"[`);
    expect(dot.stdout).toContain(`"p${second.planId}@/in/model"`);
    expect(await dotToSvg(dot.stdout)).toContain("<svg");
    const down = await user.knit(["plan", "graph", "-d", "-n", "1", second.planId]);
    expect(down.stdout).not.toContain(`"p${first.planId}"[`);
    expect((await user.knit(["plan", "graph", "--format", "svg", second.planId])).stdout).toMatch(/^<\?xml|^<svg/);
    const png = await user.knit(["plan", "graph", "--format", "png", second.planId]);
    expect(png.stdoutBytes.subarray(0, 4).toString("hex")).toBe("89504e47");
    expect((await user.knit(["plan", "graph", "--format", "jpeg", second.planId])).code).toBe(1);
  });
});

describe("knit run, end to end", () => {
  it("find, show and wait on the upload Run; retry of a root Run is refused", async () => {
    const found = await user.knit(["run", "find", "-o", knitId]);
    expect(found.code, found.stderr).toBe(0);
    const runs = JSON.parse(found.stdout) as Run[];
    expect(runs).toHaveLength(1);
    const upload = runs[0] as Run;
    expect(upload.plan.name).toBe("knit#uploaded");

    const shown = await user.knit(["run", "show", upload.runId]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ runId: upload.runId, status: "done" });
    expect((await user.knit(["run", "find", "-s", "done", "-p", upload.plan.planId])).stdout).toContain(upload.runId);
    expect((await user.knit(["run", "find", "-s=done", `-p=${upload.plan.planId}`])).stdout).toContain(upload.runId);
    expect(JSON.parse((await user.knit(["run", "find", "--since", "2999-01-01"])).stdout)).toEqual([]);
    expect((await user.knit(["run", "find", "-s", "invalidated"])).code).toBe(1);
    expect((await user.knit(["run", "find", "--duration", "1h"])).code).toBe(2);

    const waited = await user.knit(["run", "wait", upload.runId]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ status: "done" });

    const retry = await user.knit(["run", "retry", upload.runId]);
    expect(retry.code).toBe(1);
    expect(retry.stdout).toBe("");
    const log = await user.knit(["run", "show", "--log", upload.runId]);
    expect(log.code).toBe(1);
    expect(log.stderr).toMatch(/not found/);
  });

  it("a Run of the active Plan appears; stop --fail no is a plain stop; stop --fail aborts it; rm deletes", async () => {
    const findRuns = async () => JSON.parse((await user.knit(["run", "find", "-i", knitId])).stdout) as Run[];
    let runs: Run[] = await findRuns();
    // The projection loop creates Runs asynchronously: wait until the Run exists (the verdict is on its content).
    for (let attempt = 0; runs.length === 0 && attempt < 150; attempt++) {
      await new Promise((r) => setTimeout(r, 200));
      runs = await findRuns();
    }
    expect(runs.length, "the projection loop created no Run for the active Plan").toBeGreaterThan(0);
    const run = runs[0] as Run;
    expect(run.inputs.map((i) => i.knitId)).toEqual([knitId]);
    expect(["waiting", "deactivated", "ready", "starting", "running"]).toContain(run.status);

    const tearoff = await user.knit(["run", "stop", "--fail", "no", run.runId]);
    expect(tearoff.stdout).toBe("");
    if (tearoff.code === 0) expect(tearoff.stderr).toContain(`Run Id: ${run.runId} is stopping.`);
    else expect(tearoff.stderr).toMatch(/cannot be stopped/);

    const current = JSON.parse((await user.knit(["run", "show", run.runId])).stdout) as Run;
    if (current.status !== "completing" && current.status !== "done") {
      const aborted = await user.knit(["run", "stop", "--fail", run.runId]);
      expect(aborted.code, aborted.stderr).toBe(0);
      expect(aborted.stderr).toContain(`Run Id: ${run.runId} is aborting.`);
      expect(JSON.parse((await user.knit(["run", "show", run.runId])).stdout)).toMatchObject({ status: expect.stringMatching(/aborting|failed/) });
      const waited = await user.knit(["run", "wait", "--interval", "200ms", "--timeout", "30s", run.runId]);
      expect(waited.code).toBe(1);
      expect(waited.stderr).toMatch(/ended failed/);
    }
    const finished = JSON.parse((await user.knit(["run", "wait", "--interval", "200ms", "--timeout", "60s", run.runId])).stdout) as Run & { status: string };
    if (finished.status === "done") {
      // A torn-off Run ends done; its outputs feed the evaluate Plan, so lineage protects it until
      // the downstream Run is gone.
      const produced = [...finished.outputs.map((o) => o.knitId), ...(finished.log ? [finished.log.knitId] : [])];
      const downstreamOf = async () => {
        const found: Run[] = [];
        for (const knitId of produced) found.push(...(JSON.parse((await user.knit(["run", "find", "-i", knitId])).stdout) as Run[]));
        return found.filter((below) => below.status !== "invalidated");
      };
      let downstream: Run[] = [];
      for (let attempt = 0; downstream.length === 0 && attempt < 150; attempt++) {
        await new Promise((r) => setTimeout(r, 200));
        downstream = await downstreamOf();
      }
      expect(downstream.length, "the done Run's output fed no downstream Run").toBeGreaterThan(0);
      const refused = await user.knit(["run", "rm", run.runId]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/downstream/);
      for (const below of downstream) {
        await user.knit(["run", "stop", "--fail", below.runId]);
        await user.knit(["run", "wait", "--interval", "200ms", "--timeout", "60s", below.runId]);
        const gone = await user.knit(["run", "rm", below.runId]);
        expect(gone.code, gone.stderr).toBe(0);
      }
      expect(await downstreamOf()).toEqual([]);
    }
    const removed = await user.knit(["run", "rm", run.runId]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain(`deleted Run Id:${run.runId}`);
    // a deleted Run with inputs stays, invalidated, so its input combination is never run again
    expect(JSON.parse((await user.knit(["run", "show", run.runId])).stdout)).toMatchObject({ status: "invalidated" });
  });
});
