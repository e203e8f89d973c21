-- Trust Registry (SPEC §6.2): tenants, their owner accounts, API keys, DIDs, and the server's own
-- token signing keys.

CREATE TABLE tenants (
  id                 text PRIMARY KEY,                    -- ten_<24 hex>
  slug               text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{3,32}$'),
  organization_name  text NOT NULL CHECK (char_length(organization_name) BETWEEN 1 AND 200),
  owner_email        text NOT NULL CHECK (char_length(owner_email) BETWEEN 3 AND 254),
  signing_profile    text NOT NULL CHECK (signing_profile IN ('eddsa_did', 'es256_x509')),
  environment        text NOT NULL CHECK (environment IN ('production', 'sandbox')),
  -- pending → approved ⇄ suspended (the published flow: apply, review, approve, provision).
  status             text NOT NULL CHECK (status IN ('pending', 'approved', 'suspended')),
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  approved_at        timestamptz,
  suspended_at       timestamptz
);

-- The tenant's login account. `uuid` is the login name; the password is an argon2id PHC string.
-- `password_version` grows on every password change: access tokens carry it, so a change ends
-- every session opened before it.
CREATE TABLE accounts (
  uuid              uuid PRIMARY KEY,
  tenant_id         text NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
  password_hash     text NOT NULL,
  password_version  integer NOT NULL DEFAULT 1 CHECK (password_version > 0),
  created_at        timestamptz NOT NULL,
  password_changed_at timestamptz NOT NULL
);

-- Issuer admin API keys `tcs_{environment}_{48 hex}`: only SHA-256(key) is stored (SPEC §3).
CREATE TABLE tenant_api_keys (
  id           text PRIMARY KEY,                          -- tak_<24 hex>
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key_digest   text NOT NULL UNIQUE CHECK (key_digest ~ '^[0-9a-f]{64}$'),
  key_prefix   text NOT NULL,
  created_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
-- At most one live key per tenant: rotation revokes the old one in the same transaction.
CREATE UNIQUE INDEX tenant_api_keys_one_live ON tenant_api_keys (tenant_id) WHERE revoked_at IS NULL;

-- A tenant's DIDs. The private JWK is sealed (AES-256-GCM under the key-encryption key, bound to
-- the DID as additional data); the database alone never holds a usable signing key.
CREATE TABLE dids (
  id                   text PRIMARY KEY,                  -- did_<24 hex>
  tenant_id            text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  did                  text NOT NULL UNIQUE,
  verification_method  text NOT NULL,
  algorithm            text NOT NULL CHECK (algorithm IN ('EdDSA', 'ES256')),
  public_jwk           jsonb NOT NULL,
  private_jwk_sealed   text NOT NULL,
  origin               text NOT NULL CHECK (origin IN ('generated', 'imported')),
  issuing              boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL
);
CREATE INDEX dids_tenant_idx ON dids (tenant_id, created_at);
-- Exactly one issuing key per tenant at most; switching is one transaction.
CREATE UNIQUE INDEX dids_one_issuing ON dids (tenant_id) WHERE issuing;

-- The server's ES256 keys for access tokens (`kid` listed at /.well-known/jwks.json). Shared by
-- every process through the database; the first process to start creates the active one.
CREATE TABLE signing_keys (
  kid                 text PRIMARY KEY,
  algorithm           text NOT NULL CHECK (algorithm = 'ES256'),
  public_jwk          jsonb NOT NULL,
  private_jwk_sealed  text NOT NULL,
  active              boolean NOT NULL,
  created_at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active;
