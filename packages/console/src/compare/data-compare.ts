// Two Data side by side: their file lists merged by path, each path marked same / different /
// only-left / only-right, and a line diff for small text files. Pure functions; fetching is bounded
// by the view (views/data-compare.tsx).
import { diffLines } from "diff";
import type { DataFileEntry } from "@knitfab/api";

/** Files at most this large are read (from both sides) to tell same from different and to diff. */
export const CONTENT_MAX_BYTES = 64 * 1024;
/** Bytes read in all for one comparison; beyond it, equal-sized files stay "same size". */
export const CONTENT_BUDGET_BYTES = 4 * 1024 * 1024;

/**
 * `same-size`: two files of equal size whose content was not read (too large, or over the budget).
 * `type-differs`: a file on one side, a folder or link on the other.
 */
export type CompareStatus = "same" | "different" | "only-left" | "only-right" | "same-size" | "type-differs";

export interface CompareRow {
  path: string;
  left?: DataFileEntry;
  right?: DataFileEntry;
  status: CompareStatus;
}

const segmentsOf = (path: string) => path.split("/");

/** Folder order: a folder's entries right after it, names sorted within a folder. */
export function comparePaths(a: string, b: string): number {
  const x = segmentsOf(a);
  const y = segmentsOf(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** Rows of both listings by path; file contents are not looked at yet (equal sizes are "same-size"). */
export function compareListings(left: readonly DataFileEntry[], right: readonly DataFileEntry[]): CompareRow[] {
  const byPath = new Map<string, CompareRow>();
  for (const entry of left) byPath.set(entry.path, { path: entry.path, left: entry, status: "only-left" });
  for (const entry of right) {
    const row = byPath.get(entry.path);
    if (!row) byPath.set(entry.path, { path: entry.path, right: entry, status: "only-right" });
    else byPath.set(entry.path, { ...row, right: entry, status: statusOf(row.left as DataFileEntry, entry) });
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}

function statusOf(left: DataFileEntry, right: DataFileEntry): CompareStatus {
  if (left.type !== right.type) return "type-differs";
  if (left.type === "dir") return "same";
  if (left.type === "link") return left.target === right.target ? "same" : "different";
  return left.size === right.size ? "same-size" : "different";
}

/** Files whose content should be read, within the bounds: equal-sized pairs first, then differing text candidates. */
export function contentToRead(rows: readonly CompareRow[]): CompareRow[] {
  const wanted: CompareRow[] = [];
  let budget = CONTENT_BUDGET_BYTES;
  const small = (row: CompareRow) =>
    row.left?.type === "file" && row.right?.type === "file" && row.left.size <= CONTENT_MAX_BYTES && row.right.size <= CONTENT_MAX_BYTES;
  for (const row of [...rows.filter((r) => r.status === "same-size"), ...rows.filter((r) => r.status === "different")]) {
    if (!small(row)) continue;
    const cost = (row.left?.size ?? 0) + (row.right?.size ?? 0);
    if (cost > budget) continue;
    budget -= cost;
    wanted.push(row);
  }
  return wanted;
}

/**
 * A folder on both sides reads "different" when something inside it differs, and "same-size" (not
 * known) when something inside it was not read; "same" only when all inside is the same.
 */
export function rollUpFolders(rows: readonly CompareRow[]): CompareRow[] {
  const inside = (folder: string, status: (s: CompareStatus) => boolean) => rows.some((row) => status(row.status) && row.path.startsWith(`${folder}/`));
  return rows.map((row) => {
    if (row.status !== "same" || row.left?.type !== "dir") return row;
    if (inside(row.path, (s) => s !== "same" && s !== "same-size")) return { ...row, status: "different" as const };
    if (inside(row.path, (s) => s === "same-size")) return { ...row, status: "same-size" as const };
    return row;
  });
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface CompareCounts {
  same: number;
  different: number;
  onlyLeft: number;
  onlyRight: number;
  notCompared: number;
}

export function countRows(rows: readonly CompareRow[]): CompareCounts {
  const counts: CompareCounts = { same: 0, different: 0, onlyLeft: 0, onlyRight: 0, notCompared: 0 };
  for (const row of rows) {
    if (row.status === "same") counts.same++;
    else if (row.status === "different" || row.status === "type-differs") counts.different++;
    else if (row.status === "only-left") counts.onlyLeft++;
    else if (row.status === "only-right") counts.onlyRight++;
    else counts.notCompared++;
  }
  return counts;
}

export type DiffLine = { kind: "same" | "removed" | "added"; text: string } | { kind: "skipped"; count: number };

/** Unchanged lines kept around each change; longer unchanged stretches fold into one "skipped" line. */
const CONTEXT = 3;

/** A line diff of two texts, unchanged stretches folded to CONTEXT lines each side of a change. */
export function textDiff(left: string, right: string): DiffLine[] {
  const lines: DiffLine[] = [];
  const parts = diffLines(left, right);
  parts.forEach((part, index) => {
    const text = part.value.endsWith("\n") ? part.value.slice(0, -1) : part.value;
    const partLines = text.split("\n");
    if (part.added || part.removed) {
      for (const line of partLines) lines.push({ kind: part.added ? "added" : "removed", text: line });
      return;
    }
    const keepHead = index === 0 ? 0 : CONTEXT;
    const keepTail = index === parts.length - 1 ? 0 : CONTEXT;
    if (partLines.length <= keepHead + keepTail + 1) {
      for (const line of partLines) lines.push({ kind: "same", text: line });
      return;
    }
    for (const line of partLines.slice(0, keepHead)) lines.push({ kind: "same", text: line });
    lines.push({ kind: "skipped", count: partLines.length - keepHead - keepTail });
    for (const line of partLines.slice(partLines.length - keepTail)) lines.push({ kind: "same", text: line });
  });
  return lines;
}
