/** One `kubelet_volume_stats_used_bytes` sample: the bytes used in a claim's volume. */
export interface VolumeUsedSample {
  namespace: string;
  claim: string;
  usedBytes: number;
}

const SAMPLE = /^kubelet_volume_stats_used_bytes\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/**
 * The used-bytes samples of a kubelet's `/metrics` (Prometheus text format). Other metrics, comments
 * and samples without both labels are skipped; a malformed value is skipped, not guessed.
 */
export function volumeUsedSamples(metrics: string): VolumeUsedSample[] {
  const samples: VolumeUsedSample[] = [];
  for (const line of metrics.split("\n")) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = new Map<string, string>();
    for (const [, key, value] of (match[1] ?? "").matchAll(LABEL)) {
      if (key !== undefined && value !== undefined) labels.set(key, value.replace(/\\(.)/g, (_, escaped: string) => (escaped === "n" ? "\n" : escaped)));
    }
    const namespace = labels.get("namespace");
    const claim = labels.get("persistentvolumeclaim");
    const usedBytes = Number(match[2]);
    if (namespace === undefined || claim === undefined || !Number.isFinite(usedBytes)) continue;
    samples.push({ namespace, claim, usedBytes });
  }
  return samples;
}
