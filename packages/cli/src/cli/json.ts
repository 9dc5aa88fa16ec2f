/**
 * JSON as the reference prints it (Go's json.Encoder): given indentation, and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped. Those characters only occur inside strings in JSON text, so a plain
 * replacement on the serialised form is exact.
 */
export function goJson(value: unknown, indent: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** The usual result document: 4-space indentation and a trailing newline. */
export function jsonDocument(value: unknown): string {
  return `${goJson(value, 4)}\n`;
}
