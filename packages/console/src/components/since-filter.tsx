import { useEffect, useId, useState } from "react";
import { formatDuration, localInputToIso } from "../format/time.js";
import { useDebounced } from "./use-fetch.js";

/**
 * "Since" date-time (local zone, sent with its offset) and a duration in hours/minutes/seconds,
 * usable only once since is valid, as the API refuses a duration alone. Changes settle for 500 ms.
 */
export function SinceFilter(props: { since: string; duration: string; onChange: (since: string, duration: string) => void }) {
  const sinceId = useId();
  const [text, setText] = useState("");
  const [hours, setHours] = useState("");
  const [minutes, setMinutes] = useState("");
  const [seconds, setSeconds] = useState("");
  const iso = text === "" ? "" : localInputToIso(text);
  const duration = formatDuration({ hours: Number(hours), minutes: Number(minutes), seconds: Number(seconds) });
  const settled = useDebounced(`${iso ?? ""}|${iso ? duration : ""}`, 500);
  const { onChange, since: currentSince, duration: currentDuration } = props;

  useEffect(() => {
    const [since = "", dur = ""] = settled.split("|");
    if (since !== currentSince || dur !== currentDuration) onChange(since, dur);
    // only settled input drives the filter
  }, [settled]);

  useEffect(() => {
    // "Clear" in the filter panel resets the parent's values: follow it.
    if (currentSince === "" && iso) {
      setText("");
      setHours("");
      setMinutes("");
      setSeconds("");
    }
  }, [currentSince]);

  const number = (label: string, value: string, set: (v: string) => void) => (
    <label className="small-field">
      {label}
      <input type="number" min={0} value={value} disabled={!iso} onChange={(e) => set(e.target.value)} />
    </label>
  );
  return (
    <div className="field">
      <label htmlFor={sinceId}>Since (local time)</label>
      <input id={sinceId} type="datetime-local" step={1} value={text} onChange={(e) => setText(e.target.value)} />
      {iso === null && (
        <div className="error" role="alert">
          Not a date and time: pick one in the field.
        </div>
      )}
      <div className="row" aria-label="Duration from since">
        {number("Hours", hours, setHours)}
        {number("Minutes", minutes, setMinutes)}
        {number("Seconds", seconds, setSeconds)}
      </div>
    </div>
  );
}
