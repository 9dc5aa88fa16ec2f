import { describe, expect, it } from "vitest";
import { plannedExpansion } from "./expansion.js";
import { volumeUsedSamples } from "./kubelet-metrics.js";

const Mi = 1024 * 1024;
const policy = { marginBytes: 500 * Mi, deltaBytes: 500 * Mi };

describe("the volume expander's decision", () => {
  it("leaves a claim with more than the margin free alone", () => {
    expect(plannedExpansion({ requestBytes: 2e9, capacityBytes: 2e9, usedBytes: 1e9 }, policy)).toBeUndefined();
  });

  it("grows a claim within the margin of full to used-or-capacity plus delta, in whole gigabytes", () => {
    // 1.6 GB used of 2 GB: 1.6e9 + 524 MB >= 2e9, so 2e9 + 524,288,000 -> 3 GB
    expect(plannedExpansion({ requestBytes: 2e9, capacityBytes: 2e9, usedBytes: 1.6e9 }, policy)).toBe(3e9);
    // more used than the capacity says (a volume without enforced size): grows from what is used
    expect(plannedExpansion({ requestBytes: 1e9, capacityBytes: 1e9, usedBytes: 4.2e9 }, policy)).toBe(5e9);
  });

  it("takes the larger of the request and the reported capacity", () => {
    // a resize asked for but not reported yet counts as done: no second growth
    expect(plannedExpansion({ requestBytes: 3e9, capacityBytes: 2e9, usedBytes: 1.6e9 }, policy)).toBeUndefined();
    expect(plannedExpansion({ requestBytes: 1e9, capacityBytes: 3e9, usedBytes: 1.6e9 }, policy)).toBeUndefined();
  });
});

describe("kubelet volume metrics", () => {
  it("reads the used bytes of each claim and skips everything else", () => {
    const text = [
      "# HELP kubelet_volume_stats_used_bytes [ALPHA] Number of used bytes in the volume",
      "# TYPE kubelet_volume_stats_used_bytes gauge",
      'kubelet_volume_stats_used_bytes{namespace="knit",persistentvolumeclaim="data-knitid-a"} 2.097152e+06',
      'kubelet_volume_stats_used_bytes{persistentvolumeclaim="b",namespace="knit"} 4096',
      'kubelet_volume_stats_used_bytes{namespace="knit"} 1',
      'kubelet_volume_stats_used_bytes{namespace="knit",persistentvolumeclaim="c"} NaNish',
      'kubelet_volume_stats_capacity_bytes{namespace="knit",persistentvolumeclaim="data-knitid-a"} 1e9',
    ].join("\n");
    expect(volumeUsedSamples(text)).toEqual([
      { namespace: "knit", claim: "data-knitid-a", usedBytes: 2097152 },
      { namespace: "knit", claim: "b", usedBytes: 4096 },
    ]);
  });
});
