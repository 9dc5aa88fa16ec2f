import type { FastifyReply } from "fastify";

/**
 * Adds an HTTP `Warning: 199 knitfab "<text>"` header (RFC 7234 §5.5; 199 = miscellaneous warning):
 * how the server says something the reference's response bodies have no place for, without changing
 * their shape. The text is made a valid quoted string of printable ASCII.
 */
export function addWarning(reply: FastifyReply, text: string): void {
  const quoted = text.replace(/[^\x20-\x7e]/g, "?").replace(/["\\]/g, (character) => `\\${character}`);
  const value = `199 knitfab "${quoted}"`;
  const existing = reply.getHeader("warning");
  const values = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header("warning", [...values, value]);
}
