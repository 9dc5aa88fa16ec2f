import { quantityValue } from "@knitfab/domain";

/**
 * Kubernetes resource quantities (`500m`, `2`, `1Gi`, `512Mi`, `1G`, `1e9`) turned into numbers,
 * so the same plan resources drive both Kubernetes Jobs and local containers. The grammar is the
 * domain's (one parser for the server, the CLI and the console); here only the numbers Docker takes.
 */

/** The value of a quantity; throws an error naming the quantity when it is malformed or negative. */
export function parseQuantity(text: string): number {
  let value: number;
  try {
    value = quantityValue(text);
  } catch {
    value = Number.NaN;
  }
  if (!(value >= 0)) {
    throw new Error(`"${text}" is not a resource quantity; write a number with an optional suffix, e.g. "500m", "2", "1Gi", "512Mi"`);
  }
  return value;
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
