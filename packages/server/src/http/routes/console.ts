import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { FastifyInstance } from "fastify";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/**
 * The console loads only its own files and talks only to this server, so its pages may do
 * nothing else: no foreign or inline scripts and styles (React sets style properties through the
 * DOM, which CSP allows), no framing (clickjacking), no sniffed content types, no referrer leaving.
 * The console tests fail on any CSP violation.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** The console's route: every GET no other route takes. */
export const CONSOLE_ROUTE = "/*";

/** Serves the built web console at `/` (files, with index.html for `/` and unknown non-API paths). */
export async function staticConsole(app: FastifyInstance, root: string): Promise<void> {
  const base = normalize(root + sep);
  app.get(CONSOLE_ROUTE, async (request, reply) => {
    const path = decodeURIComponent(request.url.split("?")[0] ?? "/");
    // API paths are never console pages: 404, or 405 for a known path asked with GET
    if (path.startsWith("/api/")) return reply.callNotFound();
    reply.headers(SECURITY_HEADERS);
    let file = normalize(join(base, path));
    if (!file.startsWith(base)) return reply.status(404).send({ message: "Not Found" });
    const info = await stat(file).catch(() => undefined);
    if (!info || info.isDirectory()) file = join(base, "index.html");
    const index = await stat(file).catch(() => undefined);
    if (!index) return reply.status(404).send({ message: "Not Found" });
    reply.header("content-type", TYPES[extname(file)] ?? "application/octet-stream");
    if (file.includes(`${sep}assets${sep}`)) reply.header("cache-control", "public, max-age=31536000, immutable");
    return reply.send(createReadStream(file));
  });
}
