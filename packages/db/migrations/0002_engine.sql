-- Schema version 2: what the workflow engine needs besides the foundation.

-- Why a run cannot start yet (for example a `must` node label this machine lacks); NULL when none.
ALTER TABLE worker ADD COLUMN pending_reason text;

-- Garbage rows are claimed with a lease like runs, so replicas of the garbage-collection loop share
-- the work and a crashed collector's row becomes eligible again when its lease runs out.
ALTER TABLE garbage ADD COLUMN lifecycle_suspend_until timestamptz NOT NULL DEFAULT now();
CREATE INDEX garbage_suspend_idx ON garbage (lifecycle_suspend_until);
