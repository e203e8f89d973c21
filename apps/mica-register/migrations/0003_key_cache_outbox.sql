-- Durable key-cache invalidations (SPEC §8: an invalidation is never lost).
--
-- Every change to what the key cache holds for a developer key's digest (the auth row: the
-- key's id, its developer, whether it is revoked) records the digest here, in the same
-- transaction as the change. Triggers write the rows, so no code path can forget one, and a
-- change made with plain SQL is covered too. Every process relays the rows to Redis and deletes
-- them once published (@portcullis/key-cache, createSqlOutbox), so a change committed while Redis
-- is unreachable, or by a process that dies before Redis returns, still reaches every process.

CREATE TABLE key_cache_outbox (
  id          bigserial PRIMARY KEY,
  cache_id    text NOT NULL,                            -- a key digest, never a key
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A key created, changed or deleted (also through its developer's deletion): its digest (both
-- digests if the digest itself changed; creating a key removes any negative cache entry).
CREATE FUNCTION key_cache_outbox_developer_key() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER developer_keys_key_cache_insert_delete
  AFTER INSERT OR DELETE ON developer_keys
  FOR EACH ROW EXECUTE FUNCTION key_cache_outbox_developer_key();

-- Only columns the auth row holds. The batched usage writes (request_count, last_used_at: a hot
-- path), names and replaced_by record nothing.
CREATE TRIGGER developer_keys_key_cache_update
  AFTER UPDATE OF id, developer_id, key_digest, revoked_at ON developer_keys
  FOR EACH ROW
  WHEN (OLD.id IS DISTINCT FROM NEW.id
     OR OLD.developer_id IS DISTINCT FROM NEW.developer_id
     OR OLD.key_digest IS DISTINCT FROM NEW.key_digest
     OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
  EXECUTE FUNCTION key_cache_outbox_developer_key();
