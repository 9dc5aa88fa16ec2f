import { InputError } from "./errors.js";

/** A container image reference split as the reference does: everything but the tag is the repository. */
export type ImageRef = { repository: string; tag: string };

const TAG_CHARS = /^[A-Za-z0-9_.-]{1,128}$/;
const REPOSITORY_CHARS = /^[a-z0-9_./-]{2,255}$/;
// an RFC 3986 authority as a registry: host name or [IPv6], optional numeric port
const REGISTRY = /^(?:[A-Za-z0-9_.~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+\])(?::\d*)?$/;

function invalid(text: string, why: string): InputError {
  return new InputError(`invalid image name ${JSON.stringify(text)}: ${why}`, {
    advice: "images should be written as [REGISTRY[:PORT]/]REPOSITORY[:TAG], repository in lower case, no digest",
  });
}

/**
 * `[registry[:port]/]path[:tag]` as go-containerregistry `name.NewTag` with an empty default registry:
 * a missing tag is `latest`, the registry (and port) stays in `repository`, no `library/` is added.
 * Digests (`@sha256:...`) are not supported.
 */
export function parseImage(text: string): ImageRef {
  if (text.includes("@")) throw invalid(text, "digests are not supported; use a tag");
  let base = text;
  let tag = "";
  const colon = text.lastIndexOf(":");
  // a ':' followed by a '/' belongs to a registry port, not to a tag
  if (colon >= 0 && !text.slice(colon + 1).includes("/")) {
    base = text.slice(0, colon);
    tag = text.slice(colon + 1);
    if (tag === "") throw invalid(text, "a tag name must follow the colon");
  }
  if (tag !== "" && !TAG_CHARS.test(tag)) throw invalid(text, "tag may use only letters, digits, '_', '.', '-' (at most 128)");
  if (base === "") throw invalid(text, "a repository name must be specified");
  let registry = "";
  let path = base;
  const slash = base.indexOf("/");
  if (slash >= 0) {
    const first = base.slice(0, slash);
    if (first.includes(".") || first.includes(":")) {
      registry = first;
      path = base.slice(slash + 1);
    }
  }
  if (!REPOSITORY_CHARS.test(path)) {
    throw invalid(text, "repository must be 2 to 255 characters of lower case letters, digits, '_', '.', '-', '/'");
  }
  if (registry !== "" && !REGISTRY.test(registry)) throw invalid(text, `bad registry ${JSON.stringify(registry)}`);
  return { repository: registry === "" ? path : `${registry}/${path}`, tag: tag === "" ? "latest" : tag };
}

export function formatImage(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}
