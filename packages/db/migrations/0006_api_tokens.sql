-- Schema version 6: API tokens (access control, `knitfab serve --auth tokens`).

-- One row per token an administrator created. Only the SHA-256 of the secret is kept: the secret is
-- shown once, at creation, and a copy of this table does not let anyone in. Revoked tokens stay
-- (revoked_at set) so `knitfab admin token list` still tells who had access and until when.
CREATE TABLE api_token (
  token_id     uuid PRIMARY KEY,
  name         text NOT NULL DEFAULT '',
  secret_hash  bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
