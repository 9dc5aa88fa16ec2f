/**
 * Go's `time.ParseDuration`: a signed sequence of decimal numbers with unit suffixes
 * (`300ms`, `-1.5h`, `2h45m`). Result in milliseconds (fractions kept, e.g. `1us` = 0.001).
 */

const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // micro sign
  "\u03bcs": 1_000n, // Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NANOS = 9_223_372_036_854_775_807n; // Go's time.Duration is an int64 of nanoseconds
const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/** Nanoseconds as a bigint, or undefined when the text is not a Go duration (or overflows int64). */
export function parseGoDurationNanos(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") return undefined;
  let total = 0n;
  while (rest !== "") {
    const m = COMPONENT.exec(rest);
    if (!m) return undefined;
    const whole = m[1] ?? "";
    const fraction = m[2] ?? "";
    if (whole === "" && fraction === "") return undefined; // "." or a unit without a number
    const unit = NANOS_PER_UNIT[m[3] ?? ""];
    if (unit === undefined) return undefined;
    // exact: (whole.fraction) * unit, fractional nanoseconds truncated as Go does
    const scale = 10n ** BigInt(fraction.length);
    total += BigInt(whole || "0") * unit + (BigInt(fraction || "0") * unit) / scale;
    if (total > MAX_NANOS + (negative ? 1n : 0n)) return undefined;
    rest = rest.slice(m[0].length);
  }
  return negative ? -total : total;
}

/** Milliseconds, or undefined when the text is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  const nanos = parseGoDurationNanos(text);
  if (nanos === undefined) return undefined;
  return Number(nanos) / 1_000_000;
}
