import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { END_OF_ARCHIVE, encodeHeader, paddingAfter } from "@knitfab/archive";
import { parsePlanSpec } from "../commands/plan-spec.js";
import { scanImageArchive, selectImage } from "./image-archive.js";
import { imageTemplate, renderTemplate } from "./template.js";

function tarOf(files: Record<string, string | Buffer>): Readable {
  const parts: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
    parts.push(encodeHeader({ path, type: "File", mode: 0o644, size: body.length, mtime: new Date(0) }), body, Buffer.alloc(paddingAfter(body.length)));
  }
  parts.push(END_OF_ARCHIVE);
  return Readable.from([Buffer.concat(parts)]);
}

const config = {
  os: "linux",
  architecture: "amd64",
  rootfs: { type: "layers", diff_ids: [] },
  config: {
    Entrypoint: ["python", "train.py"],
    Cmd: ["--data", "/in/dataset", "--model", "out/model"],
    Volumes: { "/in/params": {}, "/cache": {} },
    WorkingDir: "/work",
  },
};
const layer = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(4096, 7)]);

const env = { tags: [{ key: "project", value: "demo" }], resources: { memory: "2Gi" } };

describe("image archives", () => {
  it("reads a docker-archive (docker save) and fills the template from the image config", async () => {
    const images = await scanImageArchive(tarOf({
      "abc123.json": JSON.stringify(config),
      "layer1/layer.tar": layer,
      "manifest.json": JSON.stringify([{ Config: "abc123.json", RepoTags: ["registry.local:5000/train:v1"], Layers: ["layer1/layer.tar"] }]),
    }));
    expect(images).toHaveLength(1);
    const { image, name } = selectImage(images, undefined);
    const template = imageTemplate(image.config, name, env);
    expect(template.image).toBe("registry.local:5000/train:v1");
    expect(template.entrypoint).toEqual(["python", "train.py"]);
    expect(template.args).toEqual(["--data", "/in/dataset", "--model", "out/model"]);
    expect(template.inputs).toEqual([
      { path: "/in/dataset", tags: ["project:demo", "type:dataset"] },
      { path: "/in/params", tags: ["project:demo", "type:params"] },
    ]);
    expect(template.outputs).toEqual([{ path: "/work/out/model", tags: ["project:demo", "type:model"] }]);
    expect(template.resources).toEqual({ cpu: "1", memory: "2Gi" });

    const text = renderTemplate(template);
    const doc = parse(text);
    expect(doc.entrypoint).toEqual(["python", "train.py"]);
    expect(text).toContain('entrypoint: ["python", "train.py"]');
    // The generated file is a plan `knit plan apply` accepts.
    const spec = parsePlanSpec(text);
    expect(spec.image).toBe("registry.local:5000/train:v1");
    expect(spec.inputs.map((i) => i.path)).toEqual(["/in/dataset", "/in/params"]);
    expect(spec.log?.tags).toEqual(["type:log", "project:demo"]);
  });

  it("reads an OCI layout (podman save --format oci-archive)", async () => {
    const configText = JSON.stringify(config);
    const manifest = JSON.stringify({ schemaVersion: 2, config: { digest: "sha256:cfg", mediaType: "application/vnd.oci.image.config.v1+json" }, layers: [] });
    const images = await scanImageArchive(tarOf({
      "oci-layout": JSON.stringify({ imageLayoutVersion: "1.0.0" }),
      "blobs/sha256/cfg": configText,
      "blobs/sha256/layer": layer,
      "blobs/sha256/man": manifest,
      "index.json": JSON.stringify({ schemaVersion: 2, manifests: [{ digest: "sha256:man", annotations: { "org.opencontainers.image.ref.name": "localhost/train:v2" } }] }),
    }));
    expect(images).toEqual([{ tags: ["localhost/train:v2"], config: config.config }]);
    expect(selectImage(images, "localhost/train:v2").name).toBe("localhost/train:v2");
  });

  it("explains when the image cannot be chosen", async () => {
    const two = await scanImageArchive(tarOf({
      "a.json": JSON.stringify(config),
      "b.json": JSON.stringify({ ...config, config: {} }),
      "manifest.json": JSON.stringify([{ Config: "a.json", RepoTags: ["a:1"] }, { Config: "b.json", RepoTags: ["b:1"] }]),
    }));
    expect(() => selectImage(two, undefined)).toThrow(/multiple images found, specify the image tag/);
    expect(() => selectImage(two, "c:1")).toThrow(/specified image tag 'c:1' is not found/);
    expect(selectImage(two, "b:1").image.config).toEqual({});
    expect(() => selectImage([], undefined)).toThrow(/no image found/);
    await expect(scanImageArchive(Readable.from([Buffer.from("this is not a tar archive at all".repeat(20))]))).rejects.toThrow(/cannot read the image archive/);
  });
});

describe("mountpoint detection", () => {
  it("ignores shell command lines and reads paths after '='", () => {
    const t = imageTemplate({ Cmd: ["sh", "-c", "cp /in/a /out/b", "--model=/out/model", "/in"] }, "x:1", { tags: [], resources: {} });
    expect(t.inputs).toEqual([{ path: "/in", tags: [] }]);
    expect(t.outputs).toEqual([{ path: "/out/model", tags: ["type:model"] }]);
  });
});
