import cliProgress from "cli-progress";
import type { Writable } from "node:stream";
import type { Logger } from "../cli/logger.js";

/** Reports the bytes of one transfer: a bar on a terminal, a plain line a second otherwise. */
export interface Progress {
  /** Sets the (estimated) total; 0 when unknown. */
  setTotal(total: number): void;
  advance(bytes: number): void;
  /** Stops reporting; with `done` a last line states the final count. */
  stop(done: boolean): void;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${UNITS[unit]}`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}

export function createProgress(options: { stderr: Writable; isTTY: boolean; logger: Logger; label: string }): Progress {
  const started = Date.now();
  let total = 0;
  let done = 0;
  const rate = () => done / Math.max((Date.now() - started) / 1000, 0.001);
  const describe = () => {
    const eta = total > done ? formatSeconds((total - done) / rate()) : "--";
    return `${formatBytes(done)}${total ? ` / ~${formatBytes(total)}` : ""} at ${formatBytes(Math.round(rate()))}/s, ETA ${eta}`;
  };

  if (options.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: options.stderr,
      fps: 4,
      hideCursor: true,
      // We only get here when stderr is a terminal; this also lets tests render the bar into a buffer.
      noTTYOutput: true,
      clearOnComplete: false,
      format: (_opts, params) => {
        const width = 30;
        const ratio = total ? Math.min(params.value / total, 1) : 0;
        const filled = Math.round(width * ratio);
        return `${options.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${describe()}`;
      },
    });
    bar.start(1, 0);
    return {
      setTotal(value) { total = value; bar.setTotal(Math.max(value, 1)); },
      advance(bytes) { done += bytes; bar.update(done); },
      stop() { bar.update(done); bar.stop(); },
    };
  }

  const timer = setInterval(() => options.logger.info(`${options.label} ${describe()}`), 1000);
  timer.unref();
  return {
    setTotal(value) { total = value; },
    advance(bytes) { done += bytes; },
    stop(finished) {
      clearInterval(timer);
      if (finished) options.logger.info(`${options.label} ${formatBytes(done)} in ${formatSeconds((Date.now() - started) / 1000)}`);
    },
  };
}
