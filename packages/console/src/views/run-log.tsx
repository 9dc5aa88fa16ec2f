import { useEffect, useRef, useState } from "react";
import { errorFromResponse } from "../api/client.js";
import { api } from "../api/client.js";
import type { RunStatus } from "@knitfab/api";

const RETRY_MS = 5_000;

type LogState = { phase: "connecting" | "streaming" | "ended" | "waiting" | "stopped"; note?: string };

/**
 * The run's log, streamed from `GET /api/runs/{id}/log?follow` and shown as it arrives. While the
 * server cannot give it yet (400/404/503), the message is shown and the request retried every 5 s.
 */
export function RunLog({ runId, status }: { runId: string; status: RunStatus }) {
  const [text, setText] = useState("");
  const [state, setState] = useState<LogState>({ phase: "connecting" });
  const [following, setFollowing] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const stickToBottom = useRef(true);

  useEffect(() => {
    if (!following) {
      setState({ phase: "stopped" });
      return;
    }
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const scheduleRetry = (note: string) => {
      setState({ phase: "waiting", note });
      retry = setTimeout(() => setAttempt((a) => a + 1), RETRY_MS);
    };
    (async () => {
      setState({ phase: "connecting" });
      let response: Response;
      try {
        response = await fetch(api.runLogUrl(runId, true), { signal: controller.signal });
      } catch (error) {
        if (!controller.signal.aborted) scheduleRetry(`cannot reach the server: ${String(error)}`);
        return;
      }
      if (!response.ok || !response.body) {
        const problem = await errorFromResponse(response);
        if (!controller.signal.aborted) scheduleRetry(problem.message);
        return;
      }
      setText("");
      setState({ phase: "streaming" });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          setText((previous) => previous + value);
        }
        setState({ phase: "ended" });
      } catch {
        if (!controller.signal.aborted) scheduleRetry("the log stream was interrupted");
      }
    })();
    return () => {
      controller.abort();
      if (retry) clearTimeout(retry);
    };
  }, [runId, following, attempt]);

  // Follow the bottom of the log unless the reader scrolled up.
  useEffect(() => {
    const element = pre.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [text]);

  const live = status === "starting" || status === "running";
  return (
    <div className="log">
      <div className="row">
        <span className="muted" aria-live="polite" data-testid="log-state">
          {state.phase === "streaming" && (live ? "following the live log…" : "reading the log…")}
          {state.phase === "connecting" && "connecting…"}
          {state.phase === "ended" && "end of log"}
          {state.phase === "stopped" && "not following"}
          {state.phase === "waiting" && `log not available yet (${state.note ?? ""}); retrying every 5 s`}
        </span>
        <button type="button" onClick={() => setFollowing(!following)}>
          {following ? "Stop following" : "Follow"}
        </button>
        <button type="button" onClick={() => setAttempt((a) => a + 1)}>
          Reload log
        </button>
      </div>
      <pre
        ref={pre}
        className="log-text"
        data-testid="run-log"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {text}
      </pre>
    </div>
  );
}
