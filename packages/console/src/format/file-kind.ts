// How the Data page previews a file: decided by its name, and for unknown names by its first bytes.

export type PreviewKind = "text" | "table" | "json" | "image" | "binary";

const TEXT_EXTENSIONS = new Set([
  "txt", "text", "log", "out", "err", "md", "yaml", "yml", "toml", "ini", "cfg", "conf", "xml", "html", "htm", "css",
  "js", "mjs", "ts", "py", "r", "sh", "sql", "ipynb", "jsonl", "ndjson",
]);
const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "webp", "svg"]);

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** The preview for a file name; "binary" for names that say nothing (a sniff of the bytes decides). */
export function previewKindOf(name: string): PreviewKind {
  const extension = extensionOf(name);
  if (extension === "csv" || extension === "tsv") return "table";
  if (extension === "json") return "json";
  if (IMAGE_EXTENSIONS.has(extension)) return "image";
  // A run's log Data holds a file named "log".
  if (TEXT_EXTENSIONS.has(extension) || name === "log") return "text";
  return "binary";
}

/** Text when the bytes hold no NUL and decode as UTF-8 (a character cut at the end is allowed). */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Text of a byte range. The beginning of a file keeps everything but a character cut at the end; a
 * range from the middle (the last lines) starts after its first line break, so no half line shows.
 */
export function decodeRange(bytes: Uint8Array, fromStart: boolean): string {
  const text = new TextDecoder("utf-8").decode(bytes, { stream: true });
  if (fromStart) return text;
  const firstBreak = text.indexOf("\n");
  return firstBreak < 0 ? text : text.slice(firstBreak + 1);
}

/**
 * Rows of CSV (comma) or TSV (tab) text, quotes understood ("a ""b""", line breaks inside quotes).
 * With `cut` the text stops mid-file, so its last, maybe partial, row is dropped.
 */
export function parseDelimited(text: string, separator: "," | "\t", cut: boolean, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let at = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = "";
  };
  while (at < text.length && rows.length <= maxRows) {
    const char = text[at] ?? "";
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === "") quoted = true;
    else if (char === separator) {
      row.push(field);
      field = "";
    } else if (char === "\n") endRow();
    else if (char !== "\r") field += char;
    at++;
  }
  const stoppedEarly = rows.length > maxRows;
  if (!stoppedEarly && (field !== "" || row.length > 0) && !cut) endRow();
  return rows.slice(0, maxRows);
}
