// Not part of the package (index.ts does not export it): what browser-safe.test.ts must refuse.
import { createHash } from "node:crypto";

export const refused = (text: string): string => createHash("sha256").update(Buffer.from(text)).digest("hex");
