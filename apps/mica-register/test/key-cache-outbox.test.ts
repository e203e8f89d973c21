// The triggers of migration 0003 on embedded PGlite: which writes record a developer key's digest
// in key_cache_outbox (every change to what the auth path caches, in the change's own
// transaction) and which do not (the batched usage writes, a hot path). No app runs here, so
// nothing relays the rows away while the test reads them.

import { digestKey as digest } from '@portcullis/hashing';
import { outboxDatabase } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { recordKeyUsage } from '../src/store/developers.js';
import { pgliteDatabase } from './harness.js';

describe('key cache outbox triggers', () => {
  const outbox = outboxDatabase(pgliteDatabase);
  /** What the outbox holds, oldest first; empties it. */
  const takeOutbox = () => outbox.take();
  let seq = 0;

  const newDeveloper = async (): Promise<string> => {
    seq += 1;
    const id = `dev_${String(seq).padStart(24, '0')}`;
    await outbox.db.query(
      `INSERT INTO developers (id, name, email, email_normalized, management_token_digest, created_at, updated_at)
       VALUES ($1, 'Dev', $2, $2, $3, now(), now())`,
      [id, `dev${seq}@example.com`, digest(`token-${seq}`)],
    );
    return id;
  };

  const newKey = async (developerId: string, label: string): Promise<{ id: string; digest: string }> => {
    seq += 1;
    const key = { id: `mkey_${String(seq).padStart(24, '0')}`, digest: digest(label) };
    await outbox.db.query(
      `INSERT INTO developer_keys (id, developer_id, name, key_digest, key_prefix, key_hint, created_at)
       VALUES ($1, $2, 'default', $3, 'trusset_mica_abcdefghi', 'wxyz', now())`,
      [key.id, developerId, key.digest],
    );
    return key;
  };

  it('records the digest of a key when it is created, revoked and deleted', async () => {
    const developerId = await newDeveloper();
    const key = await newKey(developerId, 'created');
    expect(await takeOutbox()).toEqual([key.digest]);
    await outbox.db.query('UPDATE developer_keys SET revoked_at = now() WHERE id = $1', [key.id]);
    expect(await takeOutbox()).toEqual([key.digest]);
    await outbox.db.query('DELETE FROM developer_keys WHERE id = $1', [key.id]);
    expect(await takeOutbox()).toEqual([key.digest]);
  });

  it('records nothing for batched usage writes, names or replacement links', async () => {
    const developerId = await newDeveloper();
    const key = await newKey(developerId, 'quiet');
    const other = await newKey(developerId, 'quiet-2');
    await takeOutbox();
    await recordKeyUsage(outbox.db, new Map([[key.id, { lastUsedMs: Date.now(), count: 5 }]]));
    await outbox.db.query(`UPDATE developer_keys SET name = 'renamed', replaced_by = $2 WHERE id = $1`, [
      key.id,
      other.id,
    ]);
    await outbox.db.query('UPDATE developer_keys SET revoked_at = revoked_at WHERE id = $1', [key.id]);
    expect(await takeOutbox()).toEqual([]);
    const { rows } = await outbox.db.query<{ request_count: string }>(
      'SELECT request_count FROM developer_keys WHERE id = $1',
      [key.id],
    );
    expect(rows[0]?.request_count).toBe('5'); // the usage write did happen
  });

  it('records the keys of a deleted developer', async () => {
    const developerId = await newDeveloper();
    const keys = [await newKey(developerId, 'd1'), await newKey(developerId, 'd2')];
    await takeOutbox();
    await outbox.db.query('DELETE FROM developers WHERE id = $1', [developerId]);
    expect((await takeOutbox()).sort()).toEqual(keys.map((key) => key.digest).sort());
  });
});
