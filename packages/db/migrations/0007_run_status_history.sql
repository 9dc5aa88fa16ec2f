-- Schema version 7: when each run entered each status, so the console can draw runs on a time axis
-- and tell queue time (waiting until running) from run time (running until done or failed). The run
-- row keeps only its creation and its last change.
--
-- A trigger records every change, so every writer (projection, uploads, the loops, user actions,
-- plan activation) is covered inside the very transaction that changes the status, and no writer
-- can forget it. The time is the row's updated_at, the same instant the API shows as updatedAt.
CREATE TABLE run_status_change (
  change_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES run ON DELETE CASCADE,
  status run_status NOT NULL,
  changed_at timestamptz NOT NULL
);
CREATE INDEX run_status_change_run_idx ON run_status_change (run_id, change_id);

CREATE FUNCTION record_run_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO run_status_change (run_id, status, changed_at) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER run_status_history AFTER INSERT OR UPDATE OF status ON run
  FOR EACH ROW EXECUTE FUNCTION record_run_status_change();

-- Runs from before version 7: only their current status and when they entered it are known.
INSERT INTO run_status_change (run_id, status, changed_at) SELECT run_id, status, updated_at FROM run ORDER BY updated_at, run_id;
