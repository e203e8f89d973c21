-- Issuance (OpenID4VCI 1.0, pre-authorized code flow): offers and their codes, credential
-- nonces, DPoP proof identifiers, status lists, and the metadata of issued credentials. No
-- credential itself is ever stored.

-- A credential offer. The pre-authorized code is looked up by its SHA-256 digest; the code itself
-- is kept sealed (AES-256-GCM under the key-encryption key, bound to the offer id) only so the
-- public offer document can show it again until it is redeemed: the database alone never yields a
-- usable code. The optional 6-digit tx_code is kept as an HMAC under a key derived from the
-- key-encryption key (a plain hash of six digits would be reversed at once).
CREATE TABLE offers (
  id                           uuid PRIMARY KEY,
  tenant_id                    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  credential_configuration_id  text NOT NULL,
  claims                       jsonb NOT NULL,
  code_digest                  text NOT NULL UNIQUE CHECK (code_digest ~ '^[0-9a-f]{64}$'),
  code_sealed                  text NOT NULL,
  tx_code_digest               text CHECK (tx_code_digest ~ '^[0-9a-f]{64}$'),
  -- Wrong tx_code answers so far; the fifth spends the code.
  tx_code_failures             integer NOT NULL DEFAULT 0 CHECK (tx_code_failures BETWEEN 0 AND 5),
  created_at                   timestamptz NOT NULL,
  expires_at                   timestamptz NOT NULL CHECK (expires_at > created_at),
  -- Set once, by the one successful exchange or by the fifth wrong tx_code: the code is spent.
  spent_at                     timestamptz,
  redeemed                     boolean NOT NULL DEFAULT false,
  CHECK (NOT redeemed OR spent_at IS NOT NULL)
);
CREATE INDEX offers_tenant_idx ON offers (tenant_id, created_at);

-- Credential nonces (`c_nonce`, POST /v1/nonce) when there is no Redis: single use, consumed by
-- one DELETE … RETURNING. Only the SHA-256 digest of a nonce is stored.
CREATE TABLE credential_nonces (
  digest      text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX credential_nonces_expires_at_idx ON credential_nonces (expires_at);

-- DPoP proof identifiers when there is no Redis (@portcullis/dpop, createPostgresReplayStore).
CREATE TABLE IF NOT EXISTS dpop_replay (
  jkt text NOT NULL,
  jti_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (jkt, jti_hash)
);
CREATE INDEX IF NOT EXISTS dpop_replay_expires_at_idx ON dpop_replay (expires_at);

-- A tenant's status lists (IETF Token Status List, 2 bits per entry, 2^17 entries each).
-- `version` grows with every status change of a credential on the list, in the same transaction
-- (trigger below): a cached signed list is served again only while its version is current.
-- `allocated` counts the indexes handed out on the list, so issuance knows when to open the next
-- list (past half full) without counting rows; concurrent issuers may overshoot that threshold by
-- a few entries, never the list's size.
CREATE TABLE status_lists (
  tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  list_id     integer NOT NULL CHECK (list_id >= 1),
  version     bigint NOT NULL DEFAULT 0,
  allocated   integer NOT NULL DEFAULT 0 CHECK (allocated BETWEEN 0 AND 131072),
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, list_id)
);

-- What is kept of an issued credential: its metadata and its place on a status list, never the
-- credential, its claims or its disclosures.
CREATE TABLE issued_credentials (
  id                           uuid PRIMARY KEY,
  tenant_id                    text NOT NULL,
  offer_id                     uuid NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
  credential_configuration_id  text NOT NULL,
  status                       text NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
  list_id                      integer NOT NULL,
  idx                          integer NOT NULL CHECK (idx >= 0 AND idx < 131072),
  -- RFC 7638 thumbprint of the holder key the credential is bound to (`cnf.jwk`).
  holder_jkt                   text NOT NULL,
  issued_at                    timestamptz NOT NULL,
  expires_at                   timestamptz NOT NULL,
  status_changed_at            timestamptz,
  FOREIGN KEY (tenant_id, list_id) REFERENCES status_lists (tenant_id, list_id) ON DELETE CASCADE,
  -- An index is never handed out twice, whatever the concurrency.
  UNIQUE (tenant_id, list_id, idx)
);
CREATE INDEX issued_credentials_offer_idx ON issued_credentials (offer_id, issued_at);
-- Signing a list reads only its suspended and revoked entries (valid is the list's zero).
CREATE INDEX issued_credentials_not_valid_idx ON issued_credentials (tenant_id, list_id)
  WHERE status <> 'valid';

-- Revoked is final, whatever path changes a row.
CREATE FUNCTION issued_credentials_revoked_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'revoked' AND NEW.status <> 'revoked' THEN
    RAISE EXCEPTION 'a revoked credential stays revoked' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER issued_credentials_revoked_is_final
  BEFORE UPDATE OF status ON issued_credentials
  FOR EACH ROW EXECUTE FUNCTION issued_credentials_revoked_is_final();

-- A status change moves its list's version in the same transaction.
CREATE FUNCTION status_lists_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    UPDATE status_lists SET version = version + 1
     WHERE tenant_id = NEW.tenant_id AND list_id = NEW.list_id;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER status_lists_bump_version
  AFTER UPDATE OF status ON issued_credentials
  FOR EACH ROW EXECUTE FUNCTION status_lists_bump_version();
