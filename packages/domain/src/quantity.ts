import { InputError } from "./errors.js";

/**
 * Kubernetes `resource.Quantity` parsing and canonical rendering (what `Quantity.String()` prints),
 * computed exactly with bigints instead of k8s's int64/inf.Dec pair.
 *
 * Format comes from the suffix: none or n u m k M G T P E ⇒ decimal SI; Ki Mi Gi Ti Pi Ei ⇒ binary SI;
 * e<N>/E<N> ⇒ decimal exponent (so "1e3" stays "1e3", as in k8s). Values are rounded up (away
 * from zero) to nano precision and capped at 2^63-1.
 */

type Format = "decimalSI" | "binarySI" | "decimalExponent";

/** value = mantissa × 10^exponent */
type Decimal = { mantissa: bigint; exponent: number };

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX_OF_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_OF_POWER = new Map<number, string>([[0, ""], ...Object.entries(BINARY_SUFFIX).map(([s, p]) => [p / 10, s] as const)]);

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const MAX = 9_223_372_036_854_775_807n;

function invalid(text: string): InputError {
  return new InputError(`quantity ${JSON.stringify(text)} is invalid`, {
    advice: "use a Kubernetes quantity such as 1, 500m, 0.5, 1Gi, 512Mi, 1e3",
  });
}

function parse(text: string): { value: Decimal; format: Format } {
  const m = QUANTITY.exec(text);
  if (!m) throw invalid(text);
  const sign = m[1] === "-" ? -1n : 1n;
  const whole = m[2] ?? "";
  const fraction = m[3] ?? "";
  const suffix = m[4] ?? "";
  if (whole === "" && fraction === "") throw invalid(text);
  let mantissa = BigInt(whole + fraction || "0") * sign;
  let exponent = -fraction.length;
  let format: Format;
  if (suffix in DECIMAL_SUFFIX) {
    format = "decimalSI";
    exponent += DECIMAL_SUFFIX[suffix] ?? 0;
  } else if (suffix in BINARY_SUFFIX) {
    format = "binarySI";
    mantissa *= 1n << BigInt(BINARY_SUFFIX[suffix] ?? 0);
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    format = "decimalExponent";
    exponent += Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) throw invalid(text);
  } else {
    throw invalid(text);
  }
  return { value: roundAndCap({ mantissa, exponent }), format };
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** Round away from zero to 10^-9 and cap the magnitude at 2^63-1, as k8s does on parse. */
function roundAndCap(value: Decimal): Decimal {
  let { mantissa, exponent } = value;
  if (exponent < -9) {
    const divisor = 10n ** BigInt(-9 - exponent);
    const sign = mantissa < 0n ? -1n : 1n;
    const magnitude = abs(mantissa);
    mantissa = sign * ((magnitude + divisor - 1n) / divisor);
    exponent = -9;
  }
  const integerPart = exponent >= 0 ? abs(mantissa) * 10n ** BigInt(exponent) : abs(mantissa) / 10n ** BigInt(-exponent);
  if (integerPart > MAX || (integerPart === MAX && exponent < 0 && abs(mantissa) % 10n ** BigInt(-exponent) !== 0n)) {
    return { mantissa: mantissa < 0n ? -MAX : MAX, exponent: 0 };
  }
  return { mantissa, exponent };
}

function isInteger(value: Decimal): boolean {
  return value.exponent >= 0 || value.mantissa % 10n ** BigInt(-value.exponent) === 0n;
}

function toInteger(value: Decimal): bigint {
  return value.exponent >= 0 ? value.mantissa * 10n ** BigInt(value.exponent) : value.mantissa / 10n ** BigInt(-value.exponent);
}

function removeFactors(n: bigint, base: bigint): { rest: bigint; times: number } {
  let rest = n;
  let times = 0;
  while (rest !== 0n && rest % base === 0n) {
    rest /= base;
    times += 1;
  }
  return { rest, times };
}

function renderDecimal(value: Decimal, format: Format): string {
  const { rest, times } = removeFactors(value.mantissa, 10n);
  let mantissa = rest;
  let exponent = value.exponent + times;
  // exponents are shown in multiples of three
  while (exponent % 3 !== 0) {
    mantissa *= 10n;
    exponent -= 1;
  }
  if (format === "decimalExponent") return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = DECIMAL_SUFFIX_OF_EXPONENT.get(exponent);
  // k8s has no SI suffix beyond E (it would print a wrong number); fall back to an exponent
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

function render(value: Decimal, format: Format): string {
  if (value.mantissa === 0n) return "0";
  if (format === "binarySI") {
    const integer = isInteger(value) ? toInteger(value) : undefined;
    // small or fractional binary values are shown in decimal SI to avoid rounding
    if (integer === undefined || (integer > -1024n && integer < 1024n)) return renderDecimal(value, "decimalSI");
    const { rest, times } = removeFactors(integer, 1024n);
    return `${rest}${BINARY_SUFFIX_OF_POWER.get(times) ?? ""}`;
  }
  return renderDecimal(value, format);
}

/** The canonical Kubernetes text of a quantity given as a string (surrounding spaces ignored) or a number. */
export function canonicalQuantity(value: string | number): string {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(String(value));
    text = String(value);
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    throw invalid(String(value));
  }
  const parsed = parse(text);
  return render(parsed.value, parsed.format);
}

/**
 * Why a canonical quantity cannot be a resource limit, or undefined when it can: a negative limit
 * means nothing to any runtime, and a value at the cap (2^63-1, where "1e999" lands) is an overflow,
 * not a request, so a worker asking for it could never start.
 */
export function resourceQuantityProblem(text: string): string | undefined {
  const { value } = parse(text.trim());
  if (value.mantissa < 0n) return "is negative";
  if (value.exponent === 0 && abs(value.mantissa) === MAX) return "is too large (it overflows the largest quantity, 2^63-1)";
  return undefined;
}

/**
 * The value of a quantity as a number (exact up to 2^53, as close as a double gets beyond), for
 * runtimes that take numbers: Docker's NanoCpus and memory bytes. Throws InputError when malformed.
 */
export function quantityValue(text: string): number {
  const { value } = parse(text.trim());
  return value.exponent >= 0 ? Number(value.mantissa) * 10 ** value.exponent : Number(value.mantissa) / 10 ** -value.exponent;
}

/** True when the text parses as a Kubernetes quantity. */
export function isQuantity(value: string | number): boolean {
  try {
    canonicalQuantity(value);
    return true;
  } catch {
    return false;
  }
}
