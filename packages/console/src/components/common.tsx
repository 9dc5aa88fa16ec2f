// Small shared pieces: tag chips, chip-list inputs, error and status lines, the refresh bar.
import { useId, useState, type KeyboardEvent, type ReactNode } from "react";
import { displayOrder, isSystemTag, splitTag, timestampOf } from "../format/tags.js";
import { formatLocal } from "../format/time.js";

export function TagChip({ tag, onRemove }: { tag: string; onRemove?: () => void }) {
  const { key, value } = splitTag(tag);
  const shown = key === "knit#timestamp" ? `${key}:${formatLocal(value)}` : tag;
  return (
    <span className={isSystemTag(tag) ? "chip chip-system" : "chip"} title={tag}>
      {shown}
      {onRemove && (
        <button type="button" className="chip-remove" aria-label={`remove tag ${tag}`} onClick={onRemove}>
          ×
        </button>
      )}
    </span>
  );
}

export function TagList({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return <span className="muted">(no tags)</span>;
  return (
    <span className="chips">
      {displayOrder(tags).map((tag) => (
        <TagChip key={tag} tag={tag} />
      ))}
    </span>
  );
}

export function dataTimestamp(tags: readonly string[]): string {
  const ts = timestampOf(tags);
  return ts === undefined ? "" : formatLocal(ts);
}

/** A labelled text field with an Add button that collects values as removable chips. */
export function ChipInput(props: {
  label: string;
  values: string[];
  onChange: (values: string[]) => void;
  placeholder?: string;
  validate?: (text: string) => string | null;
  normalise?: (text: string) => string;
}) {
  const id = useId();
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const add = () => {
    const raw = text.trim();
    if (raw === "") return;
    const error = props.validate?.(raw) ?? null;
    setProblem(error);
    if (error) return;
    const value = props.normalise ? props.normalise(raw) : raw;
    if (!props.values.includes(value)) props.onChange([...props.values, value]);
    setText("");
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add();
    }
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <div className="row">
        <input id={id} value={text} placeholder={props.placeholder} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
        <button type="button" onClick={add}>
          Add
        </button>
      </div>
      {problem && (
        <div className="error" role="alert">
          {problem}
        </div>
      )}
      {props.values.length > 0 && (
        <div className="chips">
          {props.values.map((v) => (
            <TagChip key={v} tag={v} onRemove={() => props.onChange(props.values.filter((x) => x !== v))} />
          ))}
        </div>
      )}
    </div>
  );
}

export function ErrorLine({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {error}
    </div>
  );
}

/** Refresh button, auto-refresh toggle and the time of the last load. */
export function RefreshBar(props: {
  auto: boolean;
  onAuto: (auto: boolean) => void;
  seconds: number;
  onRefresh: () => void;
  loading: boolean;
  loadedAt: Date | undefined;
  count?: number;
}) {
  return (
    <div className="refresh-bar">
      <button type="button" onClick={props.onRefresh} disabled={props.loading}>
        Refresh
      </button>
      <label className="toggle">
        <input type="checkbox" checked={props.auto} onChange={(e) => props.onAuto(e.target.checked)} />
        Auto ({props.seconds}s)
      </label>
      <span className="muted" aria-live="polite">
        {props.loading ? "loading…" : props.loadedAt ? `updated ${props.loadedAt.toLocaleTimeString()}` : ""}
        {props.count !== undefined && !props.loading ? ` · ${props.count} item${props.count === 1 ? "" : "s"}` : ""}
      </span>
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** Collapsible filter panel with a badge when any filter is set. */
export function FilterPanel({ active, onClear, children }: { active: boolean; onClear: () => void; children: ReactNode }) {
  const [open, setOpen] = useState(true);
  return (
    <div className="filters">
      <div className="row">
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          Filters {active && <span className="badge">on</span>}
        </button>
        {active && (
          <button type="button" onClick={onClear}>
            Clear
          </button>
        )}
      </div>
      {open && <div className="filter-fields">{children}</div>}
    </div>
  );
}
