// The Data page's "Files" section: the data's file tree with totals, and a preview of one file.
// Previews read byte ranges of the file (64 KiB of text, 512 bytes of binary), never a large file whole.
import { useState } from "react";
import type { DataFileEntry, DataFileList, RunStatus } from "@knitfab/api";
import { isTerminalRunStatus } from "@knitfab/api/run-statuses";
import { api, type FileRange } from "../api/client.js";
import { ErrorLine, Section } from "../components/common.js";
import { useFetch } from "../components/use-fetch.js";
import { formatBytes, hexDump, plural } from "../format/bytes.js";
import { decodeRange, extensionOf, looksLikeText, parseDelimited, previewKindOf } from "../format/file-kind.js";

const TEXT_BYTES = 64 * 1024;
const JSON_MAX_BYTES = 1024 * 1024;
const SNIFF_BYTES = 512;
const TABLE_ROWS = 100;

/** `status` of the upstream run: the listing is loaded again when it changes (a Data seals when its run ends). */
export function FilesSection({ knitId, status }: { knitId: string; status: RunStatus }) {
  const listing = useFetch(`files:${knitId}:${status}`, (signal) => api.listFiles(knitId, signal));
  const [selected, setSelected] = useState<DataFileEntry>();
  const files = listing.value;
  return (
    <Section title="Files">
      {/* Only sealed Data can be looked into: before its run ends the server knows no content (404). */}
      {listing.error && !isTerminalRunStatus(status) ? (
        <p className="muted" data-testid="files-unsealed">
          The files can be seen once the data is complete; its run is {status}.
        </p>
      ) : (
        <ErrorLine error={listing.error} />
      )}
      {listing.loading && !files && <p className="muted">loading…</p>}
      {files && (
        <>
          <p data-testid="file-totals">
            {plural(files.totals.files, "file")}, {plural(files.totals.dirs, "folder")}
            {files.totals.links > 0 && `, ${plural(files.totals.links, "link")}`} — {formatBytes(files.totals.bytes)} in total (
            {plural(files.totals.bytes, "byte")})
          </p>
          {files.truncated && <p className="muted">The listing stops at the server's limit on entries; download the data to see all of it.</p>}
          {files.entries.length === 0 ? (
            <p className="muted">This data holds no files.</p>
          ) : (
            <div className="files">
              <FileTree listing={files} selected={selected?.path} onSelect={setSelected} />
              <div className="file-preview" aria-live="polite">
                {selected ? <FilePreview key={selected.path} knitId={knitId} entry={selected} /> : <p className="muted">Choose a file to preview it.</p>}
              </div>
            </div>
          )}
        </>
      )}
    </Section>
  );
}

/** Entries of the listing by the folder holding them ("" for the root); the listing sorts each folder by name. */
function childrenByFolder(entries: readonly DataFileEntry[]): Map<string, DataFileEntry[]> {
  const byFolder = new Map<string, DataFileEntry[]>();
  for (const entry of entries) {
    const slash = entry.path.lastIndexOf("/");
    const folder = slash < 0 ? "" : entry.path.slice(0, slash);
    const list = byFolder.get(folder) ?? [];
    list.push(entry);
    byFolder.set(folder, list);
  }
  return byFolder;
}

function FileTree({ listing, selected, onSelect }: { listing: DataFileList; selected: string | undefined; onSelect: (entry: DataFileEntry) => void }) {
  const byFolder = childrenByFolder(listing.entries);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (path: string) => {
    const next = new Set(open);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    setOpen(next);
  };
  const folder = (path: string) => (
    <ul className="file-tree">
      {(byFolder.get(path) ?? []).map((entry) => (
        <li key={entry.path}>
          {entry.type === "dir" ? (
            <>
              <button type="button" className="tree-item" aria-expanded={open.has(entry.path)} onClick={() => toggle(entry.path)}>
                <span aria-hidden="true">{open.has(entry.path) ? "▾" : "▸"}</span> {entry.name}/
              </button>
              {open.has(entry.path) && folder(entry.path)}
            </>
          ) : (
            <button type="button" className="tree-item" aria-pressed={selected === entry.path} onClick={() => onSelect(entry)}>
              <span>{entry.name}</span>{" "}
              {entry.type === "link" ? <span className="muted">→ {entry.target}</span> : <span className="muted">{formatBytes(entry.size)}</span>}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
  return (
    <nav className="file-tree-panel" aria-label="Files of this data">
      {folder("")}
    </nav>
  );
}

function FilePreview({ knitId, entry }: { knitId: string; entry: DataFileEntry }) {
  const kind = previewKindOf(entry.name);
  const url = api.dataFileUrl(knitId, entry.path);
  return (
    <div>
      <div className="row preview-head">
        <strong className="mono">{entry.path}</strong>
        {entry.type === "file" && <span className="muted">{formatBytes(entry.size)}</span>}
        <a className="button" href={url} download={entry.name}>
          Download file
        </a>
      </div>
      {entry.type === "file" && entry.size === 0 ? (
        <p className="muted">(empty file)</p>
      ) : kind === "image" ? (
        <img className="file-image" src={url} alt={entry.path} />
      ) : kind === "json" && entry.size <= JSON_MAX_BYTES ? (
        <JsonPreview knitId={knitId} entry={entry} />
      ) : kind === "table" ? (
        <TablePreview knitId={knitId} entry={entry} separator={extensionOf(entry.name) === "tsv" ? "\t" : ","} />
      ) : kind === "text" || kind === "json" ? (
        <TextPreview knitId={knitId} entry={entry} />
      ) : (
        <BinaryPreview knitId={knitId} entry={entry} />
      )}
    </div>
  );
}

function useRange(knitId: string, entry: DataFileEntry, range: FileRange) {
  const key = `${knitId}:${entry.path}:${"length" in range ? `first ${range.length}` : `last ${range.suffix}`}`;
  return useFetch(key, (signal) => api.readFileRange(knitId, entry.path, range, signal));
}

function TextPreview({ knitId, entry }: { knitId: string; entry: DataFileEntry }) {
  const [tail, setTail] = useState(false);
  const read = useRange(knitId, entry, tail ? { suffix: TEXT_BYTES } : { length: TEXT_BYTES });
  const got = read.value;
  const cut = got !== undefined && got.bytes.length < got.size;
  return (
    <>
      <ErrorLine error={read.error} />
      {got && (
        <>
          {cut && (
            <div className="row">
              <span className="muted" data-testid="cut-note">
                {tail ? "Showing the last lines" : "Showing the first"} {formatBytes(got.bytes.length)} of {formatBytes(got.size)}.
              </span>
              <button type="button" onClick={() => setTail(!tail)}>
                {tail ? "Show the beginning" : "Show the last lines"}
              </button>
            </div>
          )}
          <pre className="file-text" tabIndex={0} aria-label={`Text of ${entry.path}`}>
            {decodeRange(got.bytes, got.start === 0)}
          </pre>
        </>
      )}
    </>
  );
}

function TablePreview({ knitId, entry, separator }: { knitId: string; entry: DataFileEntry; separator: "," | "\t" }) {
  const read = useRange(knitId, entry, { length: TEXT_BYTES });
  const got = read.value;
  const cut = got !== undefined && got.bytes.length < got.size;
  const rows = got ? parseDelimited(decodeRange(got.bytes, true), separator, cut, TABLE_ROWS + 1) : [];
  const [header = [], ...body] = rows;
  const columns = rows.reduce((most, row) => Math.max(most, row.length), 0);
  return (
    <>
      <ErrorLine error={read.error} />
      {got && (
        <>
          <p className="muted" data-testid="table-note">
            {plural(columns, "column")}; the first {plural(body.length, "row")} after the header{cut ? ` (from the first ${formatBytes(got.bytes.length)})` : ""}.
          </p>
          <div className="file-table-wrap" tabIndex={0} role="region" aria-label={`Table of ${entry.path}`}>
            <table className="file-table">
              <thead>
                <tr>
                  {header.map((cell, index) => (
                    <th key={index} scope="col">
                      {cell}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {body.map((row, index) => (
                  <tr key={index}>
                    {row.map((cell, column) => (
                      <td key={column}>{cell}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}

/** Small JSON files only (≤ 1 MiB, the caller checks): read whole and indented; invalid JSON shows as text. */
function JsonPreview({ knitId, entry }: { knitId: string; entry: DataFileEntry }) {
  const read = useRange(knitId, entry, { length: JSON_MAX_BYTES });
  const got = read.value;
  let shown: { text: string; problem?: string } | undefined;
  if (got) {
    const text = decodeRange(got.bytes, true);
    try {
      shown = { text: JSON.stringify(JSON.parse(text) as unknown, null, 2) };
    } catch (error) {
      shown = { text, problem: `Not valid JSON (${error instanceof Error ? error.message : String(error)}); shown as text.` };
    }
  }
  return (
    <>
      <ErrorLine error={read.error} />
      {shown?.problem && <p className="muted">{shown.problem}</p>}
      {shown && (
        <pre className="file-text" tabIndex={0} aria-label={`JSON of ${entry.path}`}>
          {shown.text}
        </pre>
      )}
    </>
  );
}

/** A file whose name says nothing: its first bytes decide between text and a hex dump. */
function BinaryPreview({ knitId, entry }: { knitId: string; entry: DataFileEntry }) {
  const read = useRange(knitId, entry, { length: SNIFF_BYTES });
  const got = read.value;
  if (got && looksLikeText(got.bytes)) return <TextPreview knitId={knitId} entry={entry} />;
  return (
    <>
      <ErrorLine error={read.error} />
      {got && (
        <>
          <p className="muted">
            Binary file: the first {plural(got.bytes.length, "byte")} of {plural(got.size, "byte")}, in hexadecimal. Download it to see the rest.
          </p>
          <pre className="file-text" tabIndex={0} aria-label={`Hex dump of ${entry.path}`} data-testid="hex-dump">
            {hexDump(got.bytes, got.start)}
          </pre>
        </>
      )}
    </>
  );
}
