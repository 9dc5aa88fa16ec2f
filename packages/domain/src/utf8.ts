/** UTF-8 facts about JavaScript strings, computed without encoding them (pure code, for the browser too). */

/**
 * Byte-order (UTF-8) comparison, as PostgreSQL's C collation and Go's string `<` do: -1, 0 or 1.
 * UTF-8 byte order is code point order, so this walks code points instead of encoding (pure code,
 * for the browser too); a lone surrogate counts as U+FFFD, which is what encoding it would write.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = scalarAt(a, i);
    const y = scalarAt(b, j);
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

/** The Unicode scalar value at index `at` (a whole surrogate pair; U+FFFD for a lone surrogate). */
export function scalarAt(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  if (unit < 0xd800 || unit > 0xdfff) return unit;
  const next = text.charCodeAt(at + 1);
  if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
  return 0xfffd;
}

/** Length of `text` in UTF-8 bytes (what TextEncoder would write; lone surrogates as U+FFFD), in pure code. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let at = 0; at < text.length; at += 1) {
    const scalar = scalarAt(text, at);
    bytes += scalar < 0x80 ? 1 : scalar < 0x800 ? 2 : scalar < 0x10000 ? 3 : 4;
    if (scalar > 0xffff) at += 1;
  }
  return bytes;
}
