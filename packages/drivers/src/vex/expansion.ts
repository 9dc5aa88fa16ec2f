/**
 * The volume expander's one decision (spec: loops §9): a claim whose used bytes come within the
 * margin of its capacity grows to what it uses (at least its capacity) plus the delta, rounded up
 * to whole gigabytes (10^9 bytes), as the reference does.
 */
export interface ClaimUsage {
  /** `spec.resources.requests.storage`, in bytes. */
  requestBytes: number;
  /** `status.capacity.storage`, in bytes (0 when not reported yet). */
  capacityBytes: number;
  /** `kubelet_volume_stats_used_bytes`. */
  usedBytes: number;
}

export interface ExpansionPolicy {
  marginBytes: number;
  deltaBytes: number;
}

const GIGABYTE = 1_000_000_000;

/** The new request in bytes, or undefined when the claim has room enough. */
export function plannedExpansion(usage: ClaimUsage, policy: ExpansionPolicy): number | undefined {
  const capacity = Math.max(usage.requestBytes, usage.capacityBytes);
  if (usage.usedBytes + policy.marginBytes < capacity) return undefined;
  const wanted = Math.max(capacity, usage.usedBytes) + policy.deltaBytes;
  return Math.ceil(wanted / GIGABYTE) * GIGABYTE;
}
