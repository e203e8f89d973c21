-- Self-service developer accounts and their register API keys (SPEC §5.2).

CREATE TABLE developers (
  id                       text PRIMARY KEY,                 -- dev_<24 hex>
  name                     text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100),
  email                    text NOT NULL,
  -- SPEC §5.2: an existing email, compared case-insensitively, is refused.
  email_normalized         text NOT NULL UNIQUE,
  -- SHA-256 of the management token, lowercase hex: the token itself is never stored.
  management_token_digest  text NOT NULL UNIQUE CHECK (management_token_digest ~ '^[0-9a-f]{64}$'),
  created_at               timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL
);

CREATE TABLE developer_keys (
  id             text PRIMARY KEY,                           -- mkey_<24 hex>
  developer_id   text NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
  name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
  key_digest     text NOT NULL UNIQUE CHECK (key_digest ~ '^[0-9a-f]{64}$'),
  key_prefix     text NOT NULL,                              -- trusset_mica_ + 9 characters
  key_hint       text NOT NULL,                              -- last 4 characters
  created_at     timestamptz NOT NULL,
  last_used_at   timestamptz,
  revoked_at     timestamptz,
  request_count  bigint NOT NULL DEFAULT 0,
  replaced_by    text
);

CREATE INDEX developer_keys_developer_idx ON developer_keys (developer_id, created_at);
