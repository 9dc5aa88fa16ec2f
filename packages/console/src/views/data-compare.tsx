// Two Data side by side (`#/data/<left>/compare/<right>`): their files merged by path with sizes and
// same / different / only-left / only-right, and a line diff of a small text file. Content is read
// only for small files and within a byte budget (compare/data-compare.ts), through the file endpoints.
import { useMemo, useState } from "react";
import type { DataFileList } from "@knitfab/api";
import { api } from "../api/client.js";
import { ErrorLine } from "../components/common.js";
import { useFetch } from "../components/use-fetch.js";
import { formatBytes } from "../format/bytes.js";
import { looksLikeText } from "../format/file-kind.js";
import { href } from "../routing/routes.js";
import {
  CONTENT_MAX_BYTES,
  compareListings,
  contentToRead,
  countRows,
  rollUpFolders,
  sameBytes,
  textDiff,
  type CompareRow,
  type CompareStatus,
} from "../compare/data-compare.js";
import { mapLimit } from "../graph/fetch-limit.js";

interface Compared {
  left: DataFileList;
  right: DataFileList;
  rows: CompareRow[];
  /** Contents read, by path: both sides' bytes. */
  contents: Map<string, { left: Uint8Array; right: Uint8Array }>;
}

const STATUS_LABEL: Record<CompareStatus, string> = {
  same: "same",
  different: "different",
  "only-left": "only left",
  "only-right": "only right",
  "same-size": "same size (not read)",
  "type-differs": "different type",
};

async function compareData(left: string, right: string, signal: AbortSignal): Promise<Compared> {
  const [leftList, rightList] = await Promise.all([api.listFiles(left, signal), api.listFiles(right, signal)]);
  const rows = compareListings(leftList.entries, rightList.entries);
  const contents = new Map<string, { left: Uint8Array; right: Uint8Array }>();
  await mapLimit(contentToRead(rows), 4, async (row) => {
    const range = { length: CONTENT_MAX_BYTES };
    const [a, b] = await Promise.all([api.readFileRange(left, row.path, range, signal), api.readFileRange(right, row.path, range, signal)]);
    contents.set(row.path, { left: a.bytes, right: b.bytes });
  });
  const settled = rows.map((row) => {
    const content = contents.get(row.path);
    if (!content || row.status !== "same-size") return row;
    return { ...row, status: sameBytes(content.left, content.right) ? ("same" as const) : ("different" as const) };
  });
  return { left: leftList, right: rightList, rows: rollUpFolders(settled), contents };
}

export function DataCompareView({ left, right }: { left: string; right: string }) {
  const compared = useFetch(`compare:${left}:${right}`, (signal) => compareData(left, right, signal));
  const [chosen, setChosen] = useState<string>();
  const value = compared.value;
  // The first differing text file is shown at once; a click on another row shows that one.
  const firstDiff = useMemo(
    () => value?.rows.find((row) => row.status === "different" && isText(value.contents.get(row.path)))?.path,
    [value],
  );
  const shown = chosen ?? firstDiff;
  const counts = value ? countRows(value.rows) : undefined;
  return (
    <div className="detail">
      <p>
        <a href={href.list("data")}>← Data</a>
      </p>
      <h2>Compare two Data</h2>
      <div className="compare-heads">
        <div>
          <strong>left</strong>{" "}
          <a href={href.data(left)} className="mono">
            {left}
          </a>
        </div>
        <div>
          <strong>right</strong>{" "}
          <a href={href.data(right)} className="mono">
            {right}
          </a>
        </div>
        <a className="button" href={href.dataCompare(right, left)}>
          Swap sides
        </a>
      </div>
      {compared.loading && <p className="muted">comparing…</p>}
      <ErrorLine error={compared.error} />
      {value && counts && (
        <>
          <p data-testid="compare-summary">
            {counts.same} same, {counts.different} different, {counts.onlyLeft} only left, {counts.onlyRight} only right
            {counts.notCompared > 0 ? `, ${counts.notCompared} of equal size not read (larger than ${formatBytes(CONTENT_MAX_BYTES)})` : ""} —{" "}
            {formatBytes(value.left.totals.bytes)} left, {formatBytes(value.right.totals.bytes)} right
          </p>
          {(value.left.truncated || value.right.truncated) && <p className="muted">A listing was cut at the server's bound on entries: paths beyond it are not compared.</p>}
          <table className="compare-table" data-testid="compare-table">
            <thead>
              <tr>
                <th>left</th>
                <th>path</th>
                <th>right</th>
                <th>status</th>
              </tr>
            </thead>
            <tbody>
              {value.rows.map((row) => (
                <tr
                  key={row.path}
                  data-testid="compare-row"
                  data-path={row.path}
                  data-status={row.status}
                  className={`compare-${row.status}${row.path === shown ? " compare-chosen" : ""}`}
                  onClick={() => row.left?.type === "file" && row.right?.type === "file" && setChosen(row.path)}
                >
                  <td className="num">{sizeOf(row.left)}</td>
                  <td className="mono" style={{ paddingLeft: `${6 + 14 * (row.path.split("/").length - 1)}px` }}>
                    {row.path.split("/").at(-1)}
                    {(row.left ?? row.right)?.type === "dir" ? "/" : ""}
                  </td>
                  <td className="num">{sizeOf(row.right)}</td>
                  <td>{STATUS_LABEL[row.status]}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown && <FileDiff path={shown} compared={value} />}
        </>
      )}
    </div>
  );
}

const sizeOf = (entry: CompareRow["left"]) => (entry === undefined ? "—" : entry.type === "file" ? formatBytes(entry.size) : entry.type === "link" ? `→ ${entry.target ?? ""}` : "");

function isText(content: { left: Uint8Array; right: Uint8Array } | undefined): boolean {
  return content !== undefined && looksLikeText(content.left) && looksLikeText(content.right);
}

function FileDiff({ path, compared }: { path: string; compared: Compared }) {
  const content = compared.contents.get(path);
  const lines = useMemo(() => {
    if (!content || !isText(content)) return undefined;
    const decode = (bytes: Uint8Array) => new TextDecoder("utf-8").decode(bytes);
    return textDiff(decode(content.left), decode(content.right));
  }, [content]);
  return (
    <section className="section" aria-label={`Difference of ${path}`}>
      <h3>
        <span className="mono">{path}</span>
      </h3>
      {!content && <p className="muted">Not read: larger than {formatBytes(CONTENT_MAX_BYTES)} on a side, or beyond the comparison's byte budget.</p>}
      {content && !lines && <p className="muted">Not text on both sides: {sameBytes(content.left, content.right) ? "the bytes are the same" : "the bytes differ"}.</p>}
      {lines && (
        <pre className="diff" data-testid="file-diff">
          {lines.map((line, index) =>
            line.kind === "skipped" ? (
              <div key={index} className="diff-skipped">
                … {line.count} unchanged lines …
              </div>
            ) : (
              <div key={index} className={`diff-${line.kind}`}>
                {line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}
                {line.text}
              </div>
            ),
          )}
        </pre>
      )}
    </section>
  );
}
