/** What a long admin command shows while it works: one live line on a terminal, plain lines otherwise. */
export interface Progress {
  /** A new phase with `total` items to do (undefined: unknown). */
  phase(name: string, total?: number): void;
  /** One more item done, of `bytes` bytes. */
  advance(bytes?: number): void;
  /** A message of its own (a warning, a decision). */
  note(message: string): void;
  /** Ends the current phase's line. */
  end(): void;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Progress on `out` (stderr by default). On a TTY the phase's line is redrawn at most every 100 ms;
 * otherwise each phase prints one line when it starts and one when it ends, so logs stay short.
 */
export function streamProgress(prefix: string, out: NodeJS.WriteStream = process.stderr): Progress {
  const live = out.isTTY === true;
  let name = "";
  let total: number | undefined;
  let count = 0;
  let bytes = 0;
  let open = false;
  let drawnAt = 0;
  const line = () => `${prefix}: ${name}${total === undefined ? (count > 0 ? ` ${count}` : "") : ` ${count}/${total}`}${bytes > 0 ? ` (${formatBytes(bytes)})` : ""}`;
  const draw = (force: boolean) => {
    if (!live || !open) return;
    const now = Date.now();
    if (!force && now - drawnAt < 100) return;
    drawnAt = now;
    out.write(`\r\x1b[2K${line()}`);
  };
  const end = () => {
    if (!open) return;
    if (live) {
      draw(true);
      out.write("\n");
    } else if (count > 0 || bytes > 0) out.write(`${line()}, done\n`);
    open = false;
  };
  return {
    phase(next, nextTotal) {
      end();
      name = next;
      total = nextTotal;
      count = 0;
      bytes = 0;
      open = true;
      if (live) draw(true);
      else out.write(`${prefix}: ${name}${total === undefined ? "" : ` (${total})`}\n`);
    },
    advance(more = 0) {
      count++;
      bytes += more;
      draw(false);
    },
    note(message) {
      if (live && open) out.write("\r\x1b[2K");
      out.write(`${prefix}: ${message}\n`);
      draw(true);
    },
    end,
  };
}

/** Progress that says nothing (library use, tests). */
export const SILENT_PROGRESS: Progress = { phase() {}, advance() {}, note() {}, end() {} };
