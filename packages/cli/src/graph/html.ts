/** Escapes text for Graphviz HTML-like labels. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Escapes text for a double-quoted dot string (ids and edge labels). */
export function escapeQuoted(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, "0");
}

/**
 * Renders a timestamp in the viewer's local time zone in Go's `2006-01-02T15:04:05.999-07:00` layout
 * (milliseconds without trailing zeros, numeric offset). Unparseable input is returned unchanged.
 */
export function localTimestamp(text: string): string {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const ms = date.getMilliseconds();
  const fraction = ms === 0 ? "" : `.${pad(ms, 3).replace(/0+$/, "")}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${fraction}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}
