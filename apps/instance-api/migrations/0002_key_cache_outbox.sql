-- Durable key-cache invalidations (SPEC §8: an invalidation is never lost).
--
-- Every change to what the key cache holds for a key digest (the auth row: the key's id,
-- instance, status, pause end, overlap end, and its instance's ref, archived flag and services)
-- records the digest here, in the same transaction as the change. Triggers write the rows, so no
-- code path can forget one, and a change made with plain SQL is covered too. Every process
-- relays the rows to Redis and deletes them once published (@portcullis/key-cache,
-- createSqlOutbox), so a change committed while Redis is unreachable, or by a process that dies
-- before Redis returns, still reaches every process.

CREATE TABLE key_cache_outbox (
  id          bigserial PRIMARY KEY,
  cache_id    text NOT NULL,                            -- a key digest, never a key
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A key created, changed or deleted: its digest (both digests if the digest itself changed;
-- creating a key removes any negative cache entry for its digest).
CREATE FUNCTION key_cache_outbox_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER api_keys_key_cache_insert_delete
  AFTER INSERT OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION key_cache_outbox_api_key();

-- Only columns the auth row holds. The batched last_used_at writes (a hot path), names,
-- rotated_to and timestamps record nothing.
CREATE TRIGGER api_keys_key_cache_update
  AFTER UPDATE OF id, instance_id, key_digest, status, paused_until, expires_at ON api_keys
  FOR EACH ROW
  WHEN (OLD.id IS DISTINCT FROM NEW.id
     OR OLD.instance_id IS DISTINCT FROM NEW.instance_id
     OR OLD.key_digest IS DISTINCT FROM NEW.key_digest
     OR OLD.status IS DISTINCT FROM NEW.status
     OR OLD.paused_until IS DISTINCT FROM NEW.paused_until
     OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
  EXECUTE FUNCTION key_cache_outbox_api_key();

-- An instance change that every one of its keys' auth rows carries: the digests of all its keys.
-- (Deleting an instance deletes its keys, whose own trigger records them.)
CREATE FUNCTION key_cache_outbox_instance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO key_cache_outbox (cache_id) SELECT key_digest FROM api_keys WHERE instance_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER instances_key_cache_update
  AFTER UPDATE OF instance_ref, archived, services ON instances
  FOR EACH ROW
  WHEN (OLD.instance_ref IS DISTINCT FROM NEW.instance_ref
     OR OLD.archived IS DISTINCT FROM NEW.archived
     OR OLD.services IS DISTINCT FROM NEW.services)
  EXECUTE FUNCTION key_cache_outbox_instance();
