// The store of issued credentials and their status lists, on PGlite and on Postgres when
// available: random, never repeated indexes under concurrency, list rollover, tenant scoping,
// status changes (revoked is final) and what a status list is signed from.
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { createPostgresSchema, type PostgresSchema, postgresAvailability } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_LIST_SIZE } from '../src/issuance/types.js';
import {
  type AllocatedCredential,
  changeCredentialStatus,
  listCredentialsByOffer,
  type NewIssuedCredentials,
  readStatusListEntries,
  readStatusListHead,
  recordIssuedCredentials,
  STATUS_LIST_FILL_THRESHOLD,
} from '../src/store/credentials.js';
import { recorded } from './recorded.js';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));
const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`skipping the Postgres status store suite: ${postgres.reason}`);

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const YEAR_MS = 365 * 86_400_000;

const backends: [string, boolean][] = [
  ['PGlite', true],
  ['Postgres', postgres.ok],
];

describe.each(backends)('issued credentials store on %s', (name, enabled) => {
  let db: Database;
  let schema: PostgresSchema | undefined;

  beforeAll(async () => {
    if (!enabled) return;
    if (name === 'PGlite') db = await createDatabase({ dataDir: 'memory://' });
    else if (postgres.ok) {
      schema = await createPostgresSchema(postgres.url, { prefix: 'tcs_status' });
      db = await createDatabase({ url: schema.url, poolMax: 20 });
    }
    await migrate(db, { directory: MIGRATIONS });
  });
  afterAll(async () => {
    await db?.close();
    await schema?.drop();
  });

  let seq = 0;
  const newTenant = async (status = 'approved'): Promise<{ id: string; slug: string }> => {
    seq += 1;
    const tenant = {
      id: `ten_${randomBytes(12).toString('hex')}`,
      slug: `status-${seq}-${randomBytes(3).toString('hex')}`,
    };
    await db.query(
      `INSERT INTO tenants (id, slug, organization_name, owner_email, signing_profile, environment, status, created_at, updated_at)
       VALUES ($1, $2, 'Acme', 'o@acme.example', 'eddsa_did', 'sandbox', $3, now(), now())`,
      [tenant.id, tenant.slug, status],
    );
    return tenant;
  };
  const newOffer = async (tenantId: string): Promise<string> => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO offers (id, tenant_id, credential_configuration_id, claims, code_digest, code_sealed, created_at, expires_at)
       VALUES ($1, $2, 'Test_Credential', '{}', $3, 'sealed', now(), now() + interval '5 minutes')`,
      [id, tenantId, randomBytes(32).toString('hex')],
    );
    return id;
  };
  const issue = (tenantId: string, offerId: string, holders = 1, at = T0): NewIssuedCredentials => ({
    tenantId,
    offerId,
    credentialConfigurationId: 'Test_Credential',
    holderJkts: Array.from({ length: holders }, (_, i) => `jkt-${i}-${randomBytes(4).toString('hex')}`),
    issuedAt: new Date(at),
    expiresAt: new Date(at + YEAR_MS),
  });
  const listsOf = async (tenantId: string) =>
    (
      await db.query<{ list_id: number; allocated: number; version: string }>(
        'SELECT list_id, allocated, version FROM status_lists WHERE tenant_id = $1 ORDER BY list_id',
        [tenantId],
      )
    ).rows;
  const storedCount = async (tenantId: string) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM issued_credentials WHERE tenant_id = $1',
        [tenantId],
      )
    ).rows[0]?.n;

  describe.runIf(enabled)('recording', () => {
    it('stores the metadata of each credential on list 1 at distinct indexes, in holder order', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const input = issue(tenant.id, offerId, 3);
      const allocated = await recorded(recordIssuedCredentials(db, input));

      expect(allocated).toHaveLength(3);
      expect(new Set(allocated.map((a) => a.idx)).size).toBe(3);
      for (const entry of allocated) {
        expect(entry.listId).toBe(1);
        expect(entry.idx).toBeGreaterThanOrEqual(0);
        expect(entry.idx).toBeLessThan(STATUS_LIST_SIZE);
        expect(entry.credentialId).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }
      const rows = await listCredentialsByOffer(db, tenant.id, offerId);
      const byId = new Map(rows.map((row) => [row.id, row]));
      allocated.forEach((entry, i) => {
        expect(byId.get(entry.credentialId)).toMatchObject({
          tenant_id: tenant.id,
          offer_id: offerId,
          credential_configuration_id: 'Test_Credential',
          status: 'valid',
          list_id: 1,
          idx: entry.idx,
          holder_jkt: input.holderJkts[i],
          issued_at: new Date(T0),
          expires_at: new Date(T0 + YEAR_MS),
          status_changed_at: null,
        });
      });
      expect(await listsOf(tenant.id)).toEqual([{ list_id: 1, allocated: 3, version: '0' }]);
    });

    it('hands out distinct indexes to 100 concurrent calls, and counts every one', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          recorded(recordIssuedCredentials(db, issue(tenant.id, offerId, 1 + (i % 3)))),
        ),
      );
      const all = results.flat();
      const total = results.reduce((sum, r) => sum + r.length, 0);
      expect(total).toBe(199);
      expect(new Set(all.map((a) => `${a.listId}/${a.idx}`)).size).toBe(total);
      expect(new Set(all.map((a) => a.credentialId)).size).toBe(total);
      expect(await storedCount(tenant.id)).toBe(total);
      expect(await listsOf(tenant.id)).toEqual([{ list_id: 1, allocated: total, version: '0' }]);
    });

    it('draws indexes that follow no order and spread over the whole list', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const indexes: number[] = [];
      for (let i = 0; i < 20; i++) {
        for (const entry of await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId, 10)))) {
          indexes.push(entry.idx);
        }
      }
      // 200 uniform draws: all within half the list, or sorted, has odds below 2^-190.
      expect(Math.max(...indexes) - Math.min(...indexes)).toBeGreaterThan(STATUS_LIST_SIZE / 2);
      const steps = indexes.slice(1).map((idx, i) => idx - (indexes[i] as number));
      expect(steps.some((step) => step > 0)).toBe(true);
      expect(steps.some((step) => step < 0)).toBe(true);
      expect(steps.filter((step) => step === 1)).toHaveLength(0);
    });

    it('records into a list with room in one statement, rows and counter together, with no transaction', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId))); // opens list 1 (the transaction)
      const seen = { queries: 0, transactions: 0 };
      const counted: Database = {
        ...db,
        query(sql, params) {
          seen.queries += 1;
          return db.query(sql, params);
        },
        transaction(fn) {
          seen.transactions += 1;
          return db.transaction(fn);
        },
      };
      const entries = await recorded(recordIssuedCredentials(counted, issue(tenant.id, offerId, 3)));
      expect(seen).toEqual({ queries: 1, transactions: 0 });
      expect(entries).toHaveLength(3);
      expect(new Set(entries.map((entry) => entry.idx)).size).toBe(3);
      expect(await listsOf(tenant.id)).toEqual([{ list_id: 1, allocated: 4, version: '0' }]);
    });

    it('draws again when an index is taken, in the database or within the batch', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const script = (values: number[]) => {
        const drawn: number[] = [];
        return {
          drawn,
          randomIndex: (size: number) => {
            expect(size).toBe(STATUS_LIST_SIZE);
            const next = values[drawn.length] ?? 0;
            drawn.push(next);
            return next;
          },
        };
      };
      const first = script([5]);
      expect(await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId), first))).toMatchObject([
        { idx: 5 },
      ]);
      // 5 is taken on the list: the insert skips it and the credential draws again.
      const second = script([5, 9]);
      expect(await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId), second))).toMatchObject([
        { idx: 9 },
      ]);
      expect(second.drawn).toEqual([5, 9]);
      // Two credentials of one call never share an index: 11 twice is drawn again before the insert.
      const batch = script([11, 11, 12]);
      expect(
        (await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId, 2), batch))).map((a) => a.idx),
      ).toEqual([11, 12]);
      expect(await listsOf(tenant.id)).toEqual([{ list_id: 1, allocated: 4, version: '0' }]);
    });

    it('gives up after a bounded number of draws and records nothing', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId), { randomIndex: () => 7 }));
      let draws = 0;
      await expect(
        recorded(
          recordIssuedCredentials(db, issue(tenant.id, offerId, 2), {
            randomIndex: () => {
              draws += 1;
              return draws === 1 ? 3 : 7;
            },
          }),
        ),
      ).rejects.toThrow(/no free index in 40 draws/);
      expect(draws).toBe(41);
      expect(await storedCount(tenant.id)).toBe(1);
      expect(await listsOf(tenant.id)).toEqual([{ list_id: 1, allocated: 1, version: '0' }]);
    });

    it('opens the next list once the current one would pass the fill threshold', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId)));
      await db.query('UPDATE status_lists SET allocated = $2 WHERE tenant_id = $1', [
        tenant.id,
        STATUS_LIST_FILL_THRESHOLD - 2,
      ]);
      const atThreshold = await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId, 2)));
      expect(atThreshold.map((a) => a.listId)).toEqual([1, 1]);
      const next = await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId)));
      expect(next.map((a) => a.listId)).toEqual([2]);
      expect(await listsOf(tenant.id)).toEqual([
        { list_id: 1, allocated: STATUS_LIST_FILL_THRESHOLD, version: '0' },
        { list_id: 2, allocated: 1, version: '0' },
      ]);
      // A batch that does not fit on the current list goes whole to the next one.
      await db.query('UPDATE status_lists SET allocated = $2 WHERE tenant_id = $1 AND list_id = 2', [
        tenant.id,
        STATUS_LIST_FILL_THRESHOLD - 1,
      ]);
      expect(
        (await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId, 2)))).map((a) => a.listId),
      ).toEqual([3, 3]);
    });

    it('refuses an offer of another tenant, or no offer, and records nothing', async () => {
      const owner = await newTenant();
      const other = await newTenant();
      const offerId = await newOffer(owner.id);
      await expect(recordIssuedCredentials(db, issue(other.id, offerId))).rejects.toThrow(/not the tenant/);
      await expect(recordIssuedCredentials(db, issue(other.id, randomUUID()))).rejects.toThrow(
        /not the tenant/,
      );
      await expect(recordIssuedCredentials(db, issue(owner.id, offerId, 0))).rejects.toThrow(RangeError);
      expect(await storedCount(other.id)).toBe(0);
      expect(await listsOf(other.id)).toEqual([]);
    });

    it('refuses a tenant that is not approved and records nothing, before and after its first list', async () => {
      const pending = await newTenant('pending');
      const pendingOffer = await newOffer(pending.id);
      // No list yet: the transaction reads the status.
      expect(await recordIssuedCredentials(db, issue(pending.id, pendingOffer))).toEqual({
        ok: false,
        reason: 'tenant_not_approved',
      });
      expect(await storedCount(pending.id)).toBe(0);
      expect(await listsOf(pending.id)).toEqual([]);
      // A tenant that no longer exists (its offers went with it) is refused the same way.
      expect(await recordIssuedCredentials(db, issue('ten_gone', randomUUID()))).toEqual({
        ok: false,
        reason: 'tenant_not_approved',
      });

      // A list with room: the one statement finds no approved tenant, and the transaction names it.
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId)));
      await db.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [tenant.id]);
      expect(await recordIssuedCredentials(db, issue(tenant.id, offerId, 2))).toEqual({
        ok: false,
        reason: 'tenant_not_approved',
      });
      expect(await storedCount(tenant.id)).toBe(1);
      expect(await listsOf(tenant.id)).toEqual([{ list_id: 1, allocated: 1, version: '0' }]);
    });

    it("gives the tenant's issuing DID as of the recording, on both paths", async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const first = await recordIssuedCredentials(db, issue(tenant.id, offerId)); // the transaction
      expect(first).toMatchObject({ ok: true, issuingDidId: null });
      const didId = `did_${randomBytes(12).toString('hex')}`;
      await db.query(
        `INSERT INTO dids (id, tenant_id, did, verification_method, algorithm, public_jwk, private_jwk_sealed, origin, issuing, created_at)
         VALUES ($1, $2, $3, $3 || '#key', 'EdDSA', '{}', 'sealed', 'generated', true, now())`,
        [didId, tenant.id, `did:key:test-${didId}`],
      );
      const second = await recordIssuedCredentials(db, issue(tenant.id, offerId)); // one statement
      expect(second).toMatchObject({ ok: true, issuingDidId: didId });
      // A taken index first: the one statement fails on it and the transaction draws again.
      const taken = second.ok ? (second.entries[0]?.idx as number) : -1;
      const draws = [taken, (taken + 1) % STATUS_LIST_SIZE];
      const third = await recordIssuedCredentials(db, issue(tenant.id, offerId), {
        randomIndex: () => draws.shift() ?? 0,
      });
      expect(third).toMatchObject({ ok: true, issuingDidId: didId });
      expect(draws).toEqual([]);
    });
  });

  describe.runIf(enabled)('listing and status changes', () => {
    it("lists an offer's credentials oldest first, and nothing of another tenant's offer", async () => {
      const owner = await newTenant();
      const other = await newTenant();
      const offerId = await newOffer(owner.id);
      const later = await recorded(recordIssuedCredentials(db, issue(owner.id, offerId, 1, T0 + 1000)));
      const earlier = await recorded(recordIssuedCredentials(db, issue(owner.id, offerId, 1, T0)));
      const rows = await listCredentialsByOffer(db, owner.id, offerId);
      expect(rows.map((row) => row.id)).toEqual([earlier[0]?.credentialId, later[0]?.credentialId]);
      expect(await listCredentialsByOffer(db, other.id, offerId)).toEqual([]);
      expect(await listCredentialsByOffer(db, owner.id, randomUUID())).toEqual([]);
    });

    it('changes a status with the list version, keeps a repeated status as is, and keeps revoked final', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const [entry] = (await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId)))) as [
        AllocatedCredential,
      ];
      const change = (status: 'valid' | 'suspended' | 'revoked', at: number) =>
        changeCredentialStatus(db, {
          tenantId: tenant.id,
          credentialId: entry.credentialId,
          status,
          now: new Date(at),
        });
      const version = async () => (await listsOf(tenant.id))[0]?.version;

      const suspended = await change('suspended', T0 + 1000);
      expect(suspended).toMatchObject({ ok: true, changed: true, row: { status: 'suspended' } });
      if (suspended.ok) expect(suspended.row.status_changed_at).toEqual(new Date(T0 + 1000));
      expect(await version()).toBe('1');

      const again = await change('suspended', T0 + 2000);
      expect(again).toMatchObject({ ok: true, changed: false, row: { status: 'suspended' } });
      if (again.ok) expect(again.row.status_changed_at).toEqual(new Date(T0 + 1000));
      expect(await version()).toBe('1');

      expect(await change('valid', T0 + 3000)).toMatchObject({
        ok: true,
        changed: true,
        row: { status: 'valid' },
      });
      expect(await change('revoked', T0 + 4000)).toMatchObject({
        ok: true,
        changed: true,
        row: { status: 'revoked' },
      });
      expect(await version()).toBe('3');

      expect(await change('valid', T0 + 5000)).toEqual({ ok: false, reason: 'revoked' });
      expect(await change('suspended', T0 + 5000)).toEqual({ ok: false, reason: 'revoked' });
      expect(await change('revoked', T0 + 5000)).toMatchObject({
        ok: true,
        changed: false,
        row: { status: 'revoked' },
      });
      expect(await version()).toBe('3');
      // The database refuses it too, whatever path writes.
      await expect(
        db.query(`UPDATE issued_credentials SET status = 'valid' WHERE id = $1`, [entry.credentialId]),
      ).rejects.toThrow(/stays revoked/);
    });

    it("answers not_found for another tenant's credential and an unknown one, changing nothing", async () => {
      const owner = await newTenant();
      const other = await newTenant();
      const offerId = await newOffer(owner.id);
      const [entry] = (await recorded(recordIssuedCredentials(db, issue(owner.id, offerId)))) as [
        AllocatedCredential,
      ];
      const now = new Date(T0);
      expect(
        await changeCredentialStatus(db, {
          tenantId: other.id,
          credentialId: entry.credentialId,
          status: 'revoked',
          now,
        }),
      ).toEqual({ ok: false, reason: 'not_found' });
      expect(
        await changeCredentialStatus(db, {
          tenantId: owner.id,
          credentialId: randomUUID(),
          status: 'revoked',
          now,
        }),
      ).toEqual({ ok: false, reason: 'not_found' });
      expect((await listCredentialsByOffer(db, owner.id, offerId))[0]?.status).toBe('valid');
    });

    it('ends revoked whenever a revocation races other changes', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const [entry] = (await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId)))) as [
        AllocatedCredential,
      ];
      const statuses = ['suspended', 'valid', 'revoked', 'suspended', 'valid', 'suspended'] as const;
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          changeCredentialStatus(db, {
            tenantId: tenant.id,
            credentialId: entry.credentialId,
            status: statuses[i % statuses.length] as (typeof statuses)[number],
            now: new Date(T0 + i),
          }),
        ),
      );
      const revocations = outcomes.filter((out) => out.ok && out.changed && out.row.status === 'revoked');
      expect(revocations).toHaveLength(1);
      for (const out of outcomes) if (!out.ok) expect(out.reason).toBe('revoked');
      expect((await listCredentialsByOffer(db, tenant.id, offerId))[0]?.status).toBe('revoked');
      // Every change that took moved the version once, and no other call did.
      const changed = outcomes.filter((out) => out.ok && out.changed).length;
      expect((await listsOf(tenant.id))[0]?.version).toBe(String(changed));
    });
  });

  describe.runIf(enabled)('reading a status list', () => {
    it('gives the suspended and revoked entries by index, with the version and the issuing DID', async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      const entries = await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId, 4)));
      const [a, b, c] = entries as [AllocatedCredential, AllocatedCredential, AllocatedCredential];
      const set = (entry: AllocatedCredential, status: 'suspended' | 'revoked') =>
        changeCredentialStatus(db, {
          tenantId: tenant.id,
          credentialId: entry.credentialId,
          status,
          now: new Date(T0),
        });
      await set(a, 'suspended');
      await set(b, 'revoked');
      await set(c, 'suspended');
      await set(c, 'revoked');

      const list = await readStatusListEntries(db, { slug: tenant.slug, listId: 1 });
      const expected = [
        [a.idx, 2],
        [b.idx, 1],
        [c.idx, 1],
      ].sort((x, y) => (x[0] as number) - (y[0] as number));
      expect(list).toEqual({
        tenantId: tenant.id,
        signingProfile: 'eddsa_did',
        version: '4',
        issuingDidId: null,
        entries: expected,
      });

      const didId = `did_${randomBytes(12).toString('hex')}`;
      await db.query(
        `INSERT INTO dids (id, tenant_id, did, verification_method, algorithm, public_jwk, private_jwk_sealed, origin, issuing, created_at)
         VALUES ($1, $2, $3, $3 || '#k', 'EdDSA', '{}', 'sealed', 'generated', true, now())`,
        [didId, tenant.id, `did:key:z${randomBytes(8).toString('hex')}`],
      );
      expect(await readStatusListHead(db, { slug: tenant.slug, listId: 1 })).toEqual({
        tenantId: tenant.id,
        signingProfile: 'eddsa_did',
        version: '4',
        issuingDidId: didId,
      });
    });

    it("serves a suspended tenant's list, and nothing for an unknown tenant or list", async () => {
      const tenant = await newTenant();
      const offerId = await newOffer(tenant.id);
      await recorded(recordIssuedCredentials(db, issue(tenant.id, offerId)));
      await db.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [tenant.id]);
      expect(await readStatusListEntries(db, { slug: tenant.slug, listId: 1 })).toMatchObject({
        tenantId: tenant.id,
        entries: [],
      });
      expect(await readStatusListEntries(db, { slug: tenant.slug, listId: 2 })).toBeNull();
      expect(await readStatusListEntries(db, { slug: 'no-such-tenant', listId: 1 })).toBeNull();
      for (const listId of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
        expect(await readStatusListHead(db, { slug: tenant.slug, listId })).toBeNull();
      }
    });
  });
});
