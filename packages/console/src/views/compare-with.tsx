// "Compare with…" on the Data page: the other Data's knitId, then the side-by-side view.
import { useId, useState } from "react";
import { href } from "../routing/routes.js";
import { navigate } from "../routing/use-route.js";

const KNIT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function CompareWith({ knitId }: { knitId: string }) {
  const id = useId();
  const [other, setOther] = useState("");
  const [problem, setProblem] = useState<string>();
  const go = () => {
    const value = other.trim();
    if (!KNIT_ID.test(value)) return setProblem("a knitId looks like 0f1e2d3c-…: 36 characters, from the Data list");
    if (value.toLowerCase() === knitId.toLowerCase()) return setProblem("pick another Data than this one");
    navigate(href.dataCompare(knitId, value.toLowerCase()));
  };
  return (
    <span className="compare-pick">
      <label htmlFor={id}>Compare with</label>
      <input
        id={id}
        className="mono"
        size={38}
        placeholder="knitId of another Data"
        value={other}
        onChange={(event) => {
          setOther(event.target.value);
          setProblem(undefined);
        }}
        onKeyDown={(event) => event.key === "Enter" && go()}
      />
      <button type="button" onClick={go}>
        Compare
      </button>
      {problem && (
        <span className="error" role="alert">
          {problem}
        </span>
      )}
    </span>
  );
}
