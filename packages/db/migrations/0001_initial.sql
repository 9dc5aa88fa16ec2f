-- Knitfab schema, version 1.
-- Our own layout of the reference model (spec/model.md §2): the observable behaviour is the contract,
-- the tables are ours. Timestamps are kept at millisecond precision because they are shown and
-- matched (knit#timestamp pins) at that precision.

CREATE TYPE run_status AS ENUM (
  'deactivated', 'waiting', 'ready', 'starting', 'running',
  'completing', 'aborting', 'done', 'failed', 'invalidated'
);
CREATE TYPE on_node_mode AS ENUM ('may', 'prefer', 'must');
CREATE TYPE data_agent_mode AS ENUM ('read', 'write');

CREATE TABLE plan (
  plan_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hash char(64) NOT NULL,
  active boolean NOT NULL DEFAULT true,
  -- exactly one of (image, version) and pseudo_name is set
  image varchar(512),
  version varchar(128),
  pseudo_name varchar(1024) UNIQUE,
  entrypoint text[] NOT NULL DEFAULT '{}',
  args text[] NOT NULL DEFAULT '{}',
  service_account varchar(63),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((image IS NULL) = (version IS NULL) AND (image IS NULL) <> (pseudo_name IS NULL))
);
CREATE INDEX plan_hash_idx ON plan (hash);
CREATE INDEX plan_image_idx ON plan (image, version);

CREATE TABLE plan_resource (
  plan_id uuid NOT NULL REFERENCES plan ON DELETE CASCADE,
  type varchar(1024) NOT NULL,
  value varchar(1024) NOT NULL,
  PRIMARY KEY (plan_id, type)
);

CREATE TABLE plan_on_node (
  plan_id uuid NOT NULL REFERENCES plan ON DELETE CASCADE,
  mode on_node_mode NOT NULL,
  key varchar(316) NOT NULL,
  value varchar(63) NOT NULL,
  PRIMARY KEY (plan_id, mode, key, value)
);

CREATE TABLE plan_annotation (
  plan_id uuid NOT NULL REFERENCES plan ON DELETE CASCADE,
  key varchar(253) NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (plan_id, key, value)
);

CREATE TABLE input (
  input_id serial PRIMARY KEY,
  plan_id uuid NOT NULL REFERENCES plan,
  path varchar(4096) NOT NULL,
  knit_id_pin uuid,
  timestamp_pin timestamptz,
  user_tag_count int NOT NULL DEFAULT 0,
  UNIQUE (plan_id, input_id)
);
CREATE INDEX input_plan_idx ON input (plan_id);

CREATE TABLE input_tag (
  input_id int NOT NULL REFERENCES input,
  key varchar(1024) NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (input_id, key, value)
);
CREATE INDEX input_tag_kv_idx ON input_tag (key, value);

CREATE TABLE output (
  output_id serial PRIMARY KEY,
  plan_id uuid NOT NULL REFERENCES plan,
  path varchar(4096) NOT NULL,
  is_log boolean NOT NULL DEFAULT false,
  UNIQUE (plan_id, output_id)
);
CREATE INDEX output_plan_idx ON output (plan_id);
CREATE UNIQUE INDEX output_one_log_per_plan ON output (plan_id) WHERE is_log;

CREATE TABLE output_tag (
  output_id int NOT NULL REFERENCES output,
  key varchar(1024) NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (output_id, key, value)
);

CREATE TABLE run (
  run_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  plan_id uuid NOT NULL REFERENCES plan,
  status run_status NOT NULL DEFAULT 'waiting',
  -- "<input_id>=<knit_id>;..." sorted by input id; the run id itself for runs without inputs.
  -- The unique constraint is what guarantees a (plan, assignment) pair is projected at most once, ever.
  assignment_key text NOT NULL,
  lifecycle_suspend_until timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (plan_id, assignment_key),
  UNIQUE (plan_id, run_id)
);
CREATE INDEX run_status_idx ON run (status, lifecycle_suspend_until);
CREATE INDEX run_updated_idx ON run (updated_at, run_id);

CREATE TABLE run_exit (
  run_id uuid PRIMARY KEY REFERENCES run ON DELETE CASCADE,
  code smallint NOT NULL,
  message varchar(1024) NOT NULL
);

CREATE TABLE data (
  knit_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id uuid NOT NULL REFERENCES run,
  output_id int NOT NULL REFERENCES output,
  -- knit#timestamp: set when the producing run finishes (done or failed)
  timestamp timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_run_idx ON data (run_id);
CREATE INDEX data_timestamp_idx ON data (timestamp, knit_id);

CREATE TABLE data_tag (
  knit_id uuid NOT NULL REFERENCES data ON DELETE CASCADE,
  key varchar(1024) NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (knit_id, key, value)
);
CREATE INDEX data_tag_kv_idx ON data_tag (key, value, knit_id);

CREATE TABLE assign (
  run_id uuid NOT NULL REFERENCES run ON DELETE CASCADE,
  input_id int NOT NULL REFERENCES input,
  -- not a foreign key: invalidated runs keep their assignments after the input data is gone
  knit_id uuid NOT NULL,
  PRIMARY KEY (run_id, input_id)
);
CREATE INDEX assign_knit_idx ON assign (knit_id);

-- A worker row exists for every image-based run from creation until finishing (spec/model.md §8.5).
CREATE TABLE worker (
  run_id uuid PRIMARY KEY REFERENCES run ON DELETE CASCADE,
  name varchar(253) NOT NULL,
  -- environment injected by the ready->starting before hooks
  env jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE nomination (
  knit_id uuid NOT NULL REFERENCES data ON DELETE CASCADE,
  input_id int NOT NULL REFERENCES input,
  updated boolean NOT NULL DEFAULT true,
  PRIMARY KEY (knit_id, input_id)
);
CREATE INDEX nomination_input_idx ON nomination (input_id);
CREATE INDEX nomination_updated_idx ON nomination (input_id) WHERE updated;

-- Transfers in progress on a Data's content (uploads write, downloads read). Their existence blocks
-- retry/delete of the producing run, like the reference's data agents.
CREATE TABLE data_agent (
  name varchar(253) PRIMARY KEY,
  knit_id uuid NOT NULL,
  mode data_agent_mode NOT NULL,
  lifecycle_suspend_until timestamptz NOT NULL DEFAULT now() + interval '30 seconds'
);
CREATE UNIQUE INDEX data_agent_one_writer ON data_agent (knit_id) WHERE mode = 'write';

-- Data content to delete (the garbage-collection loop consumes it).
CREATE TABLE garbage (
  knit_id uuid PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- HMAC keys for import tokens.
CREATE TABLE signing_key (
  kid uuid PRIMARY KEY,
  secret bytea NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Pseudo plans (spec/model.md §2.2 seed rows).
INSERT INTO plan (hash, active, pseudo_name) VALUES (md5(''), true, 'knit#uploaded');
INSERT INTO output (plan_id, path) SELECT plan_id, '/upload' FROM plan WHERE pseudo_name = 'knit#uploaded';
INSERT INTO plan (hash, active, pseudo_name) VALUES (md5(''), true, 'knit#imported');
INSERT INTO output (plan_id, path) SELECT plan_id, '/imported' FROM plan WHERE pseudo_name = 'knit#imported';
