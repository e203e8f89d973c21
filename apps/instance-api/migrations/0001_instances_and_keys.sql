-- Instances and their API keys (SPEC §4.3, §4.4).

CREATE TABLE instances (
  id            text PRIMARY KEY,                       -- inst_<24 hex>
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  type          text NOT NULL CHECK (type IN ('DEVELOPMENT', 'PRODUCTION')),
  instance_ref  text NOT NULL UNIQUE CHECK (instance_ref ~ '^[A-Za-z0-9]{8}$'),
  services      text[] NOT NULL,
  archived      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,                       -- key_<24 hex>
  instance_id   text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- SHA-256 of the whole key, lowercase hex: the key itself is never stored (SPEC §3).
  key_digest    text NOT NULL UNIQUE CHECK (key_digest ~ '^[0-9a-f]{64}$'),
  key_preview   text NOT NULL,
  -- Stored state. PAUSED past paused_until reads as ACTIVE and PENDING_ROTATION past expires_at
  -- reads as EXPIRED: both are evaluated at request time, never by a background job.
  status        text NOT NULL CHECK (status IN ('ACTIVE', 'PAUSED', 'PENDING_ROTATION', 'EXPIRED', 'REVOKED')),
  paused_until  timestamptz,
  expires_at    timestamptz,
  rotated_to    text,
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  CHECK (status <> 'PAUSED' OR paused_until IS NOT NULL),
  CHECK (status <> 'PENDING_ROTATION' OR expires_at IS NOT NULL)
);

CREATE INDEX api_keys_instance_id_idx ON api_keys (instance_id, created_at);
