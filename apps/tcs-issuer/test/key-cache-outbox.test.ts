// The triggers of migration 0002 on embedded PGlite: which writes record a tenant API key's digest
// in key_cache_outbox (every change to what the auth path caches, in the change's own
// transaction) and which do not. No app runs here, so nothing relays the rows away while the test
// reads them.

import { digestKey as digest } from '@portcullis/hashing';
import { outboxDatabase } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { pgliteDatabase } from './harness.js';

describe('key cache outbox triggers', () => {
  const outbox = outboxDatabase(pgliteDatabase);
  /** What the outbox holds, oldest first; empties it. */
  const takeOutbox = () => outbox.take();
  let seq = 0;

  const newTenant = async (): Promise<string> => {
    seq += 1;
    const id = `ten_${String(seq).padStart(24, '0')}`;
    await outbox.db.query(
      `INSERT INTO tenants (id, slug, organization_name, owner_email, signing_profile, environment, status, created_at, updated_at)
       VALUES ($1, $2, 'Acme', 'o@acme.example', 'eddsa_did', 'sandbox', 'pending', now(), now())`,
      [id, `tenant-${seq}`],
    );
    return id;
  };

  const newKey = async (
    tenantId: string,
    label: string,
    revoked = false,
  ): Promise<{ id: string; digest: string }> => {
    seq += 1;
    const key = { id: `tak_${String(seq).padStart(24, '0')}`, digest: digest(label) };
    await outbox.db.query(
      `INSERT INTO tenant_api_keys (id, tenant_id, key_digest, key_prefix, created_at, revoked_at)
       VALUES ($1, $2, $3, 'tcs_sandbox_', now(), CASE WHEN $4 THEN now() END)`,
      [key.id, tenantId, key.digest, revoked],
    );
    return key;
  };

  it('records the digest of a key when it is created, revoked and deleted', async () => {
    const tenantId = await newTenant();
    const key = await newKey(tenantId, 'created');
    expect(await takeOutbox()).toEqual([key.digest]);
    await outbox.db.query('UPDATE tenant_api_keys SET revoked_at = now() WHERE id = $1', [key.id]);
    expect(await takeOutbox()).toEqual([key.digest]);
    await outbox.db.query('DELETE FROM tenant_api_keys WHERE id = $1', [key.id]);
    expect(await takeOutbox()).toEqual([key.digest]);
  });

  it('records every key of a tenant whose status changes, and nothing for timestamps, names or emails', async () => {
    const tenantId = await newTenant();
    const keys = [await newKey(tenantId, 'old', true), await newKey(tenantId, 'live')];
    const digests = keys.map((key) => key.digest).sort();
    await takeOutbox();

    await outbox.db.query(
      `UPDATE tenants SET organization_name = 'Renamed', owner_email = 'x@acme.example', updated_at = now() WHERE id = $1`,
      [tenantId],
    );
    await outbox.db.query('UPDATE tenants SET status = status WHERE id = $1', [tenantId]);
    expect(await takeOutbox()).toEqual([]);

    await outbox.db.query(`UPDATE tenants SET status = 'approved', approved_at = now() WHERE id = $1`, [
      tenantId,
    ]);
    expect((await takeOutbox()).sort()).toEqual(digests);
    await outbox.db.query(`UPDATE tenants SET status = 'suspended', suspended_at = now() WHERE id = $1`, [
      tenantId,
    ]);
    expect((await takeOutbox()).sort()).toEqual(digests);
  });

  it('records the keys of a deleted tenant', async () => {
    const tenantId = await newTenant();
    const keys = [await newKey(tenantId, 'd1', true), await newKey(tenantId, 'd2')];
    await takeOutbox();
    await outbox.db.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
    expect((await takeOutbox()).sort()).toEqual(keys.map((key) => key.digest).sort());
  });
});
