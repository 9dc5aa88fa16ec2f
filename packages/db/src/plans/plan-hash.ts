import { createHash } from "node:crypto";
import { planIdentityPieces, type PlanIdentity } from "@knitfab/domain";

/**
 * A plan's hash (model.md §4.3): hex SHA-256 of the domain's identity pieces, fed one by one as the
 * reference does. Plans with the same hash are then compared in full (plansEquivalent).
 */
export function planHash(spec: PlanIdentity): string {
  const hash = createHash("sha256");
  for (const piece of planIdentityPieces(spec)) hash.update(piece);
  return hash.digest("hex");
}
