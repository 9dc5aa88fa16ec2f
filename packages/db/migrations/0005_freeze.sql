-- Schema version 5: the system freeze (`knitfab admin freeze`, README "Administration").

-- At most one row: present while the system is frozen (or being frozen). While it exists the loops
-- create, initialize and start no runs and collect no garbage, and the API refuses every write with 503.
CREATE TABLE system_freeze (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  frozen_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  -- 'freezing' until every run that was stopping has ended, then 'frozen'
  state text NOT NULL DEFAULT 'freezing' CHECK (state IN ('freezing', 'frozen')),
  -- who froze: 'admin' (knitfab admin freeze) or 'backup' (a backup, which lifts only its own freeze)
  frozen_by text NOT NULL CHECK (frozen_by IN ('admin', 'backup'))
);

-- What the freeze changed: the runs it stopped (ready, starting or running: now aborting, then
-- failed). Unfreezing retries each of them that is still failed, then forgets the row.
CREATE TABLE system_freeze_stopped_run (
  run_id uuid PRIMARY KEY REFERENCES run ON DELETE CASCADE,
  previous_status run_status NOT NULL,
  stopped_at timestamptz NOT NULL DEFAULT now()
);
