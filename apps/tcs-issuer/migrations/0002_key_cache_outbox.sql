-- Durable key-cache invalidations (SPEC §8: an invalidation is never lost).
--
-- Every change to what the key cache holds for a tenant API key's digest (the key row: the key's
-- id, tenant and revocation, and its tenant's slug, status, signing profile and environment)
-- records the digest here, in the same transaction as the change. Triggers write the rows, so no
-- code path can forget one, and a change made with plain SQL is covered too. Every process relays
-- the rows to Redis and deletes them once published (@portcullis/key-cache, createSqlOutbox), so
-- a change committed while Redis is unreachable, or by a process that dies before Redis returns,
-- still reaches every process.

CREATE TABLE key_cache_outbox (
  id          bigserial PRIMARY KEY,
  cache_id    text NOT NULL,                            -- a key digest, never a key
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A key created, revoked or deleted (also with its tenant): its digest (both digests if the
-- digest itself changed; creating a key removes any negative cache entry for its digest).
CREATE FUNCTION key_cache_outbox_tenant_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO key_cache_outbox (cache_id) VALUES (NEW.key_digest);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO key_cache_outbox (cache_id) VALUES (OLD.key_digest);
  ELSE
    INSERT INTO key_cache_outbox (cache_id) VALUES (OLD.key_digest);
    IF NEW.key_digest <> OLD.key_digest THEN
      INSERT INTO key_cache_outbox (cache_id) VALUES (NEW.key_digest);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tenant_api_keys_key_cache_insert_delete
  AFTER INSERT OR DELETE ON tenant_api_keys
  FOR EACH ROW EXECUTE FUNCTION key_cache_outbox_tenant_api_key();

CREATE TRIGGER tenant_api_keys_key_cache_update
  AFTER UPDATE OF id, tenant_id, key_digest, revoked_at ON tenant_api_keys
  FOR EACH ROW
  WHEN (OLD.id IS DISTINCT FROM NEW.id
     OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
     OR OLD.key_digest IS DISTINCT FROM NEW.key_digest
     OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
  EXECUTE FUNCTION key_cache_outbox_tenant_api_key();

-- A tenant change that its keys' cached rows carry (approve, suspend, …): the digests of all its
-- keys, revoked ones included (their rows carry the tenant too). Timestamps, names and emails
-- record nothing.
CREATE FUNCTION key_cache_outbox_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO key_cache_outbox (cache_id) SELECT key_digest FROM tenant_api_keys WHERE tenant_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER tenants_key_cache_update
  AFTER UPDATE OF slug, status, signing_profile, environment ON tenants
  FOR EACH ROW
  WHEN (OLD.slug IS DISTINCT FROM NEW.slug
     OR OLD.status IS DISTINCT FROM NEW.status
     OR OLD.signing_profile IS DISTINCT FROM NEW.signing_profile
     OR OLD.environment IS DISTINCT FROM NEW.environment)
  EXECUTE FUNCTION key_cache_outbox_tenant();
