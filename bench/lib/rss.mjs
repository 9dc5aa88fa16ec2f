import { readFileSync, writeFileSync } from "node:fs";

const KiB = 1024;

function statusField(pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) * KiB : NaN;
}

/**
 * Watches a process's resident memory during a phase: samples VmRSS every `intervalMs` and, where
 * the kernel lets us reset it (writing 5 to clear_refs), reads the exact peak VmHWM at the end.
 * Returns bytes: rss at the start, the peak, and the growth (peak - start).
 */
export function watchRss(pid, intervalMs = 20) {
  let hwmReset = false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    hwmReset = true;
  } catch {
    // Not permitted (not our user, or an old kernel): the sampled peak is all we have.
  }
  const start = statusField(pid, "VmRSS");
  let peak = start;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, statusField(pid, "VmRSS"));
    } catch {
      // the process ended; stop() reports what we saw
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const now = statusField(pid, "VmRSS");
      peak = Math.max(peak, now);
      if (hwmReset) peak = Math.max(peak, statusField(pid, "VmHWM"));
      return { start, peak, end: now, growth: peak - start, exactPeak: hwmReset };
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (100 ticks per second). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
