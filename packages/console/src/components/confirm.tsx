import { useEffect, useRef, useState } from "react";

/** A button that asks for confirmation in a modal dialog before running a destructive action. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) confirmRef.current?.focus();
  }, [open]);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      setOpen(false);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={props.danger ? "danger" : ""} disabled={props.disabled} onClick={() => setOpen(true)}>
        {props.label}
      </button>
      {open && (
        <div className="backdrop" onClick={() => !busy && setOpen(false)}>
          <div
            className="dialog"
            role="dialog"
            aria-modal="true"
            aria-label={props.label}
            onClick={(e) => e.stopPropagation()}
            onKeyDown={(e) => e.key === "Escape" && !busy && setOpen(false)}
          >
            <p>{props.question}</p>
            {error && (
              <div className="error" role="alert">
                {error}
              </div>
            )}
            <div className="row">
              <button ref={confirmRef} type="button" className={props.danger ? "danger" : "primary"} disabled={busy} onClick={run}>
                {busy ? "Working…" : `Yes, ${props.label.toLowerCase()}`}
              </button>
              <button type="button" disabled={busy} onClick={() => setOpen(false)}>
                Cancel
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
