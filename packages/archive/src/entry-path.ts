import { UnsafeArchiveError } from "./errors.js";

/**
 * The components of an entry name, or an UnsafeArchiveError. Leading `./` and repeated or
 * trailing slashes are tolerated (GNU tar writes `./a`); absolute names and `..` components are
 * refused outright, even when `..` would stay inside, because no honest archiver writes them.
 * An empty result means the archive root itself (only acceptable for a directory entry).
 */
export function entryComponents(name: string): string[] {
  if (name.startsWith("/")) throw new UnsafeArchiveError(name, "absolute names are not allowed");
  if (name.includes("\0")) throw new UnsafeArchiveError(name, "names may not contain NUL");
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) throw new UnsafeArchiveError(name, "names may not contain '..'");
  return parts;
}

/** How deep a chain of links we follow before calling it a loop, as Linux does (ELOOP at 40). */
const MAX_LINK_HOPS = 40;

/**
 * Whether following the symbolic link at `linkComponents` (whose parent folders are real
 * folders inside the root) with target `target` can leave the root, given the other links of the
 * archive. Resolution is done component by component, replacing each in-archive link by its
 * target, exactly as the kernel would: a lexical `path.normalize` is not enough, since `l/..`
 * where `l` is a link to `a/b` means `a`, not the folder holding `l`.
 * Absolute targets always escape. A loop never reaches outside, so it is not an escape.
 */
export function linkEscapes(
  linkComponents: readonly string[],
  target: string,
  links: ReadonlyMap<string, string>,
): boolean {
  if (target.startsWith("/")) return true;
  const stack = linkComponents.slice(0, -1);
  let queue = target.split("/");
  let hops = 0;
  while (queue.length > 0) {
    const part = queue[0] as string;
    queue = queue.slice(1);
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 0) return true;
      stack.pop();
      continue;
    }
    stack.push(part);
    const next = links.get(stack.join("/"));
    if (next === undefined) continue;
    hops += 1;
    if (hops > MAX_LINK_HOPS) return false;
    if (next.startsWith("/")) return true;
    stack.pop();
    queue = [...next.split("/"), ...queue];
  }
  return false;
}
