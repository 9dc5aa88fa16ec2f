import { useEffect, useRef, useState, type FormEvent } from "react";
import { promptState, submitToken, subscribePrompt, type PromptState } from "../api/auth.js";

/** The form asking for the API token when the server wants one (see api/auth.ts). */
export function TokenPrompt() {
  const [state, setState] = useState<PromptState>(promptState());
  const [token, setToken] = useState("");
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => subscribePrompt(setState), []);
  useEffect(() => {
    if (state.open && !state.busy) inputRef.current?.focus();
  }, [state.open, state.busy]);
  if (!state.open) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void submitToken(token);
  };
  return (
    <div className="backdrop">
      <form className="dialog" role="dialog" aria-modal="true" aria-label="API token" onSubmit={submit}>
        <h2>API token</h2>
        <p>This Knitfab needs an API token. Enter the one your administrator gave you; it is kept until you close the browser.</p>
        <label className="field">
          Token
          <input ref={inputRef} type="password" autoComplete="off" spellCheck={false} value={token} onChange={(event) => setToken(event.target.value)} />
        </label>
        {state.error && (
          <div className="error" role="alert">
            {state.error}
          </div>
        )}
        <div className="row actions">
          <button type="submit" className="primary" disabled={state.busy}>
            {state.busy ? "Checking…" : "Continue"}
          </button>
        </div>
      </form>
    </div>
  );
}
