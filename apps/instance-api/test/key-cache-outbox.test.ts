// The triggers of migration 0002 on embedded PGlite: which writes record a key digest in
// key_cache_outbox (every change to what the auth path caches, in the change's own transaction)
// and which do not (the batched last-use writes, a hot path). No app runs here, so nothing
// relays the rows away while the test reads them.

import { digestKey as digest } from '@portcullis/hashing';
import { outboxDatabase } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { recordLastUsed } from '../src/store/api-keys.js';
import { pgliteDatabase } from './harness.js';

describe('key cache outbox triggers', () => {
  const outbox = outboxDatabase(pgliteDatabase);
  /** What the outbox holds, oldest first; empties it. */
  const takeOutbox = () => outbox.take();
  let seq = 0;

  const newInstance = async (): Promise<string> => {
    seq += 1;
    const id = `inst_${String(seq).padStart(24, '0')}`;
    await outbox.db.query(
      `INSERT INTO instances (id, name, type, instance_ref, services, archived, created_at, updated_at)
       VALUES ($1, 'Acme', 'DEVELOPMENT', $2, $3, false, now(), now())`,
      [id, `Ref${String(seq).padStart(5, '0')}`, ['custody']],
    );
    return id;
  };

  const newKey = async (instanceId: string, label: string): Promise<{ id: string; digest: string }> => {
    seq += 1;
    const key = { id: `key_${String(seq).padStart(24, '0')}`, digest: digest(label) };
    await outbox.db.query(
      `INSERT INTO api_keys (id, instance_id, name, key_digest, key_preview, status, created_at, updated_at)
       VALUES ($1, $2, 'k', $3, 'trusset_…', 'ACTIVE', now(), now())`,
      [key.id, instanceId, key.digest],
    );
    return key;
  };

  it('records the digest of a key when it is created, changes state and is deleted', async () => {
    const instanceId = await newInstance();
    await takeOutbox();
    const key = await newKey(instanceId, 'created');
    expect(await takeOutbox()).toEqual([key.digest]);

    await outbox.db.query(
      `UPDATE api_keys SET status = 'PAUSED', paused_until = now() + interval '1 hour' WHERE id = $1`,
      [key.id],
    );
    await outbox.db.query(`UPDATE api_keys SET paused_until = now() + interval '2 hours' WHERE id = $1`, [
      key.id,
    ]);
    await outbox.db.query(
      `UPDATE api_keys SET status = 'PENDING_ROTATION', expires_at = now() + interval '1 day' WHERE id = $1`,
      [key.id],
    );
    await outbox.db.query(`UPDATE api_keys SET status = 'REVOKED', revoked_at = now() WHERE id = $1`, [
      key.id,
    ]);
    expect(await takeOutbox()).toEqual([key.digest, key.digest, key.digest, key.digest]);

    await outbox.db.query('DELETE FROM api_keys WHERE id = $1', [key.id]);
    expect(await takeOutbox()).toEqual([key.digest]);
  });

  it('records nothing for batched last-use writes, names, rotation links, timestamps or same-value writes', async () => {
    const instanceId = await newInstance();
    const key = await newKey(instanceId, 'quiet');
    const other = await newKey(instanceId, 'quiet-2');
    await takeOutbox();

    await recordLastUsed(
      outbox.db,
      new Map([
        [key.id, { lastUsedMs: Date.now(), count: 3 }],
        [other.id, { lastUsedMs: Date.now(), count: 1 }],
      ]),
    );
    await outbox.db.query(`UPDATE api_keys SET name = 'renamed', updated_at = now() WHERE id = $1`, [key.id]);
    await outbox.db.query('UPDATE api_keys SET rotated_to = $2 WHERE id = $1', [key.id, other.id]);
    await outbox.db.query(`UPDATE api_keys SET status = status, paused_until = paused_until WHERE id = $1`, [
      key.id,
    ]);
    expect(await takeOutbox()).toEqual([]);
    const { rows } = await outbox.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_keys WHERE last_used_at IS NOT NULL AND instance_id = $1',
      [instanceId],
    );
    expect(rows[0]?.n).toBe(2); // the last-use write did happen
  });

  it('records every key of an instance whose services, archive flag or ref changes, and nothing for a rename', async () => {
    const instanceId = await newInstance();
    const keys = [
      await newKey(instanceId, 'i1'),
      await newKey(instanceId, 'i2'),
      await newKey(instanceId, 'i3'),
    ];
    const digests = keys.map((key) => key.digest).sort();
    await takeOutbox();

    await outbox.db.query(`UPDATE instances SET name = 'Renamed', updated_at = now() WHERE id = $1`, [
      instanceId,
    ]);
    await outbox.db.query('UPDATE instances SET services = services WHERE id = $1', [instanceId]);
    expect(await takeOutbox()).toEqual([]);

    await outbox.db.query('UPDATE instances SET services = $2 WHERE id = $1', [
      instanceId,
      ['custody', 'compliance'],
    ]);
    expect((await takeOutbox()).sort()).toEqual(digests);
    await outbox.db.query('UPDATE instances SET archived = true WHERE id = $1', [instanceId]);
    expect((await takeOutbox()).sort()).toEqual(digests);
    await outbox.db.query(`UPDATE instances SET instance_ref = 'Zz999999' WHERE id = $1`, [instanceId]);
    expect((await takeOutbox()).sort()).toEqual(digests);
  });

  it('records the keys of a deleted instance', async () => {
    const instanceId = await newInstance();
    const keys = [await newKey(instanceId, 'd1'), await newKey(instanceId, 'd2')];
    await takeOutbox();
    await outbox.db.query('DELETE FROM instances WHERE id = $1', [instanceId]);
    expect((await takeOutbox()).sort()).toEqual(keys.map((key) => key.digest).sort());
  });

  it('records nothing when the change rolls back', async () => {
    const instanceId = await newInstance();
    const key = await newKey(instanceId, 'rollback');
    await takeOutbox();
    await expect(
      outbox.db.transaction(async (tx) => {
        await tx.query(`UPDATE api_keys SET status = 'REVOKED' WHERE id = $1`, [key.id]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await takeOutbox()).toEqual([]);
  });
});
