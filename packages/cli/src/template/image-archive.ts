import type { Readable } from "node:stream";
import { readTar } from "@knitfab/archive";
import { CommandError } from "../cli/errors.js";

/** The parts of an image config (OCI / Docker) a plan template is filled from. */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, unknown> | null;
  WorkingDir?: string;
}

export interface FoundImage {
  /** Known names, e.g. `repo/name:tag`. */
  tags: string[];
  config: ImageConfig;
}

/** JSON documents in an image archive are small; layers are not read into memory. */
const MAX_JSON = 8 * 1024 * 1024;

async function collectJson(body: AsyncIterable<Buffer>, size: number): Promise<unknown> {
  if (size > MAX_JSON) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const text = Buffer.concat(chunks);
  if (text[0] !== 0x7b /* { */ && text[0] !== 0x5b /* [ */) return undefined;
  try {
    return JSON.parse(text.toString("utf8"));
  } catch {
    return undefined;
  }
}

function isImageConfig(value: unknown): value is { config?: ImageConfig } {
  return typeof value === "object" && value !== null && "os" in value && "architecture" in value && "rootfs" in value;
}

function normalisePath(path: string): string {
  return path.replace(/^\.\//, "").replace(/^\/+/, "");
}

/**
 * Scans an image archive as `docker save` (docker-archive: manifest.json + config JSON) or
 * `podman save --format oci-archive` / OCI layout (index.json → manifest blob → config blob) write it,
 * in one pass over the tar stream.
 */
export async function scanImageArchive(source: Readable): Promise<FoundImage[]> {
  const json = new Map<string, unknown>();
  try {
    await readTar(source as AsyncIterable<Buffer>, async (entry, body) => {
      if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile") return;
      const value = await collectJson(body, entry.size);
      if (value !== undefined) json.set(normalisePath(entry.path), value);
    });
  } catch (error) {
    throw new CommandError(`cannot read the image archive: ${(error as Error).message}; give the output of 'docker save' or 'podman save' (an uncompressed tar)`);
  }

  const images: FoundImage[] = [];
  const claimed = new Set<string>();
  const blob = (digest: string) => `blobs/${digest.replace(":", "/")}`;

  // docker-archive
  const manifest = json.get("manifest.json");
  if (Array.isArray(manifest)) {
    for (const entry of manifest as { Config?: string; RepoTags?: string[] | null }[]) {
      if (!entry.Config) continue;
      const config = json.get(normalisePath(entry.Config));
      if (!isImageConfig(config)) continue;
      claimed.add(normalisePath(entry.Config));
      images.push({ tags: entry.RepoTags ?? [], config: config.config ?? {} });
    }
  }
  // OCI layout
  const index = json.get("index.json") as { manifests?: { digest: string; annotations?: Record<string, string> }[] } | undefined;
  if (images.length === 0 && index?.manifests) {
    for (const m of index.manifests) {
      const imageManifest = json.get(blob(m.digest)) as { config?: { digest: string } } | undefined;
      const configPath = imageManifest?.config ? blob(imageManifest.config.digest) : undefined;
      const config = configPath ? json.get(configPath) : undefined;
      if (!configPath || !isImageConfig(config)) continue;
      claimed.add(configPath);
      const names = [m.annotations?.["io.containerd.image.name"], m.annotations?.["org.opencontainers.image.ref.name"]]
        .filter((n): n is string => typeof n === "string" && n.includes(":"));
      images.push({ tags: names.slice(0, 1), config: config.config ?? {} });
    }
  }
  // Any other image config in the archive counts as an image without a name.
  for (const [path, value] of json) {
    if (!claimed.has(path) && isImageConfig(value)) images.push({ tags: [], config: value.config ?? {} });
  }
  return images;
}

/** Chooses the image: the one with the given tag, or the only one. */
export function selectImage(images: FoundImage[], tag: string | undefined): { image: FoundImage; name: string | undefined } {
  if (tag !== undefined) {
    const image = images.find((i) => i.tags.includes(tag));
    if (!image) throw new CommandError(`specified image tag '${tag}' is not found; tags in the archive: ${images.flatMap((i) => i.tags).join(", ") || "none"}`);
    return { image, name: tag };
  }
  if (images.length === 0) throw new CommandError("no image found: give the output of 'docker save IMAGE' or 'podman save IMAGE' on stdin or with -i");
  if (images.length > 1) throw new CommandError(`multiple images found, specify the image tag (one of: ${images.flatMap((i) => i.tags).join(", ")})`);
  const image = images[0] as FoundImage;
  return { image, name: image.tags[0] };
}
