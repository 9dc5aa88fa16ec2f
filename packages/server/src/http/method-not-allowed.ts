import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Unknown path → 404 `{"message":"Not Found"}`; a known path asked with a method it does not
 * serve → 405 `{"message":"Method Not Allowed"}` with an `Allow` header, as echo answers
 * (spec/api.md §0.1). Fastify only knows "no route", so the routes are recorded as they are added.
 */
interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** Call before any route is added; returns the handler for requests no route takes. */
export function installMethodRules(app: FastifyInstance, options: { ignore: readonly string[] }): (request: FastifyRequest, reply: FastifyReply) => void {
  const paths = new Map<string, KnownPath>();
  app.addHook("onRoute", (route) => {
    if (options.ignore.includes(route.url)) return;
    const key = withoutTrailingSlash(route.url);
    const known = paths.get(key) ?? { pattern: patternOf(key), methods: new Set<string>() };
    for (const method of [route.method].flat()) known.methods.add(method);
    // Fastify answers HEAD for every GET route
    if (known.methods.has("GET")) known.methods.add("HEAD");
    paths.set(key, known);
  });
  return (request, reply) => {
    const path = withoutTrailingSlash(request.url.split("?")[0] ?? "/");
    const allowed = new Set<string>();
    for (const known of paths.values()) {
      if (known.pattern.test(path)) for (const method of known.methods) allowed.add(method);
    }
    if (allowed.size === 0 || allowed.has(request.method)) {
      void reply.status(404).send({ message: "Not Found" });
      return;
    }
    void reply.status(405).header("allow", [...allowed].sort().join(", ")).send({ message: "Method Not Allowed" });
  };
}

/** `/api/plans/:planId/active` → a regular expression over request paths (one segment per parameter). */
function patternOf(url: string): RegExp {
  const segments = url.split("/").map((segment) => {
    if (segment.startsWith(":")) return "[^/]+";
    if (segment === "*") return ".*";
    return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return new RegExp(`^${segments.join("/")}$`);
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}
