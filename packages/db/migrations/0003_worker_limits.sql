-- Schema version 3: bounded start attempts and worker slots.

-- Refused starts of the run's worker so far (the engine refused the container, say): after a few the
-- run fails with exit 255 instead of being retried forever. Reset with the worker row on retry.
ALTER TABLE worker ADD COLUMN start_failures int NOT NULL DEFAULT 0;

-- The run holds one of the maxWorkers slots while it is `ready` and being started (runs in `starting`
-- or `running` hold one by their status). Taken together with the count of slots in use, under one
-- advisory lock, so no number of claimers or replicas can exceed the limit.
ALTER TABLE worker ADD COLUMN holds_slot boolean NOT NULL DEFAULT false;
