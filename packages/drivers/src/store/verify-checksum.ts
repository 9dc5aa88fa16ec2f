import type { ExpectedChecksum } from "./data-store.js";
import { ChecksumMismatchError, ChecksumMissingError } from "./errors.js";

/** Every announced checksum must match `received`; none at all is refused when one is required. */
export function verifyChecksum(checksum: ExpectedChecksum | undefined, received: string): void {
  if (checksum === undefined) return;
  const announced = checksum.announced().map((md5) => md5.trim().toLowerCase()).filter((md5) => md5 !== "");
  if (announced.length === 0 && checksum.required) throw new ChecksumMissingError();
  const wrong = announced.find((md5) => md5 !== received);
  if (wrong !== undefined) throw new ChecksumMismatchError(wrong, received);
}
