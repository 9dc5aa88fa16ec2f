/**
 * Kubernetes resource quantities (`500m`, `2`, `1Gi`, `512Mi`, `1G`, `1e9`) turned into numbers,
 * so the same plan resources drive both Kubernetes Jobs and local containers.
 */

const SUFFIX_FACTORS: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The value of a quantity; throws an error naming the quantity when it is malformed or negative. */
export function parseQuantity(text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match) {
    throw new Error(
      `"${text}" is not a resource quantity; write a number with an optional suffix, e.g. "500m", "2", "1Gi", "512Mi"`,
    );
  }
  const [, mantissa = "", exponent, suffix = ""] = match;
  if (exponent !== undefined) return Number(mantissa + exponent);
  return Number(mantissa) * (SUFFIX_FACTORS[suffix] ?? 1);
}

/** CPU cores as Docker's NanoCpus: `500m` ⇒ 500000000. */
export function cpuToNanoCpus(text: string): number {
  return ceilWithoutFloatNoise(parseQuantity(text) * 1e9);
}

/** Memory in whole bytes, rounded up like Kubernetes does: `1Gi` ⇒ 1073741824. */
export function memoryToBytes(text: string): number {
  return ceilWithoutFloatNoise(parseQuantity(text));
}

/** Rounds up, ignoring binary floating point noise (0.1 * 1e9 is 100000000.00000001). */
function ceilWithoutFloatNoise(value: number): number {
  return Math.ceil(Number(value.toPrecision(15)));
}

/** A whole count of devices: `1` ⇒ 1. */
export function deviceCount(text: string): number {
  const value = parseQuantity(text);
  if (!Number.isInteger(value)) {
    throw new Error(`device count "${text}" must be a whole number`);
  }
  return value;
}
