import { randomInt, randomUUID } from 'node:crypto';
import { type Database, isUniqueViolation, type Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import { type CredentialStatus, STATUS_LIST_SIZE, STATUS_VALUES } from '../issuance/types.js';
import type { SigningProfile } from '../schemas.js';

// What is kept of issued credentials (their metadata and their place on a status list, never the
// credential) and the status lists they sit on. An index is drawn at random from the whole list
// and the unique constraint on (tenant, list, index) decides collisions, so indexes are
// unpredictable and never handed out twice, whatever the concurrency and however many processes.

/**
 * A tenant's current list takes new credentials until this many of its indexes are handed out
 * (half of its {@link STATUS_LIST_SIZE} entries); past it issuance opens the next list. At most half
 * full, a random draw hits a free index at least every other time, so a credential needs two draws
 * on average and {@link MAX_DRAWS} consecutive misses (odds below 2^-40) never happen in practice.
 */
export const STATUS_LIST_FILL_THRESHOLD = STATUS_LIST_SIZE / 2;
/** Draws per credential before an allocation gives up (an error: see {@link STATUS_LIST_FILL_THRESHOLD}). */
const MAX_DRAWS = 40;
/** Most credentials one call records (a batch credential request holds at most 10). */
const MAX_PER_CALL = 100;

/** One issued credential as stored: no credential, claims or disclosures, only what manages its status. */
export interface IssuedCredentialRow {
  id: string;
  tenant_id: string;
  offer_id: string;
  credential_configuration_id: string;
  status: CredentialStatus;
  list_id: number;
  idx: number;
  /** RFC 7638 thumbprint of the holder key the credential is bound to. */
  holder_jkt: string;
  issued_at: Date;
  expires_at: Date;
  status_changed_at: Date | null;
}

const CREDENTIAL_COLUMNS =
  'id, tenant_id, offer_id, credential_configuration_id, status, list_id, idx, holder_jkt, issued_at, expires_at, status_changed_at';

/** What {@link recordIssuedCredentials} stores: one credential per holder key, in order. */
export interface NewIssuedCredentials {
  tenantId: string;
  /** The offer the credentials were issued for; it must be the tenant's own. */
  offerId: string;
  credentialConfigurationId: string;
  /** One RFC 7638 thumbprint per credential (per proof of a batch request), 1 to 100. */
  holderJkts: readonly string[];
  issuedAt: Date;
  expiresAt: Date;
}

/** Where one recorded credential sits: its id and its entry on the tenant's status list. */
export interface AllocatedCredential {
  /** UUID v4 of the stored metadata (the `credential_id` of the tenant's API). */
  credentialId: string;
  listId: number;
  /** Index on the list, 0 ≤ idx < {@link STATUS_LIST_SIZE}, drawn at random. */
  idx: number;
}

/** Test seam of {@link recordIssuedCredentials}. */
export interface AllocationOptions {
  /** Draws an index in [0, size). Default `crypto.randomInt`: never replace it in product code. */
  randomIndex?: (size: number) => number;
}

/**
 * What {@link recordIssuedCredentials} gives back: the allocated entries, in the order of
 * `holderJkts`, and the tenant's issuing DID when they were recorded (sign with it; `null` only if
 * an approved tenant has none, a broken invariant) — or, with nothing recorded,
 * `tenant_not_approved` when the tenant is not approved (suspended since its offer, or gone).
 */
export type RecordedCredentials = Result<
  { entries: AllocatedCredential[]; issuingDidId: string | null },
  'tenant_not_approved'
>;

/**
 * Records the metadata of credentials just issued, one per holder key, and gives each an
 * unpredictable, unused index on the tenant's current status list (list 1 is created with the
 * first credential, the next one once the current list is past {@link STATUS_LIST_FILL_THRESHOLD}).
 * Indexes are drawn with `crypto.randomInt` over the whole list; an index taken meanwhile (by this
 * call or a concurrent one, in any process) is refused by the unique constraint and drawn again —
 * there is no sequential fallback. The tenant's status and issuing DID are read by the statement
 * that records (one round trip in the common case): a tenant that is not approved gets
 * `tenant_not_approved` and nothing is recorded. Throws on a fault, when the offer is not the
 * tenant's (a broken invariant), or when a credential found no free index in 40 draws (which at
 * most half full does not happen).
 *
 * @example
 * const recorded = await recordIssuedCredentials(db, {
 *   tenantId, offerId, credentialConfigurationId: 'TuringCerts_Standard_Credential_v2_sd_jwt',
 *   holderJkts: [jkt], issuedAt: new Date(now()), expiresAt: new Date(now() + 365 * 86_400_000),
 * });
 * if (!recorded.ok) throw denied();
 * const [entry] = recorded.entries;
 * const status = { status_list: { idx: entry.idx, uri: statusListUri(publicUrl, slug, entry.listId) } };
 */
export async function recordIssuedCredentials(
  db: Database,
  input: NewIssuedCredentials,
  options: AllocationOptions = {},
): Promise<RecordedCredentials> {
  // The common case in one statement, all or nothing; the transaction handles the rest (a new
  // list to open, a run of taken indexes, a tenant not approved, or an offer that is not the
  // tenant's, which it names).
  const fast = await recordInOneStatement(db, input, options);
  if ('recorded' in fast) return { ok: true, ...fast.recorded };
  return db.transaction((tx) => recordIssuedCredentialsIn(tx, input, options, fast.drawn));
}

/**
 * Records the credentials in one statement when the tenant is approved and its newest list has
 * room for them: the rows and the list's counter are written together or not at all (autocommit),
 * with indexes drawn at random over the whole list as in the transaction, and the tenant's issuing
 * DID read with them. Nothing is written, and the indexes drawn are handed to the transaction as
 * its first draws (so the draws are the same either way), when the list must change (none yet, or
 * it would pass its fill threshold), the tenant is not approved, the offer is not the tenant's, or
 * a drawn index was taken (the insert fails as a whole on the unique constraint).
 */
async function recordInOneStatement(
  db: Queryable,
  input: NewIssuedCredentials,
  options: AllocationOptions,
): Promise<
  { recorded: { entries: AllocatedCredential[]; issuingDidId: string | null } } | { drawn: number[] }
> {
  const count = input.holderJkts.length;
  if (count < 1 || count > MAX_PER_CALL) return { drawn: [] };
  const draw = options.randomIndex ?? ((size: number) => randomInt(size));
  {
    const taken = new Set<number>();
    const entries: Array<{ id: string; jkt: string; idx: number }> = [];
    for (const jkt of input.holderJkts) {
      let idx = draw(STATUS_LIST_SIZE);
      for (let draws = 1; taken.has(idx); draws += 1) {
        // Distinct draws that will not come: the transaction's bounded loop decides.
        if (draws >= MAX_DRAWS) return { drawn: entries.map((entry) => entry.idx) };
        idx = draw(STATUS_LIST_SIZE);
      }
      taken.add(idx);
      entries.push({ id: randomUUID(), jkt, idx });
    }
    const values = entries.map(
      (_, i) => `($${8 + i * 3}::uuid, $${9 + i * 3}::integer, $${10 + i * 3}::text)`,
    );
    try {
      const { rows } = await db.query<{ list_id: number; did_id: string | null }>(
        `WITH head AS (
           SELECT s.list_id, d.id AS did_id FROM status_lists s
             JOIN tenants t ON t.id = s.tenant_id AND t.status = 'approved'
             LEFT JOIN dids d ON d.tenant_id = s.tenant_id AND d.issuing
            WHERE s.tenant_id = $1
              AND s.list_id = (SELECT max(list_id) FROM status_lists WHERE tenant_id = $1)
              AND s.allocated + $6 <= $7
              AND EXISTS (SELECT 1 FROM offers WHERE id = $2 AND tenant_id = $1)
         ), inserted AS (
           INSERT INTO issued_credentials
             (id, tenant_id, offer_id, credential_configuration_id, status, list_id, idx, holder_jkt, issued_at, expires_at)
           SELECT v.id, $1::text, $2::uuid, $3::text, 'valid', head.list_id, v.idx, v.jkt, $4::timestamptz, $5::timestamptz
             FROM head, (VALUES ${values.join(', ')}) AS v (id, idx, jkt)
           RETURNING list_id
         ), counted AS (
           UPDATE status_lists SET allocated = allocated + (SELECT count(*) FROM inserted)
            WHERE tenant_id = $1 AND list_id = (SELECT list_id FROM head)
         )
         SELECT inserted.list_id, head.did_id FROM inserted, head`,
        [
          input.tenantId,
          input.offerId,
          input.credentialConfigurationId,
          input.issuedAt,
          input.expiresAt,
          count,
          STATUS_LIST_FILL_THRESHOLD,
          ...entries.flatMap((entry) => [entry.id, entry.idx, entry.jkt]),
        ],
      );
      const row = rows[0];
      if (row !== undefined) {
        const listId = row.list_id;
        return {
          recorded: {
            entries: entries.map((entry) => ({ credentialId: entry.id, listId, idx: entry.idx })),
            issuingDidId: row.did_id,
          },
        };
      }
    } catch (error) {
      // A drawn index was taken: the whole statement was undone.
      if (!isUniqueViolation(error)) throw error;
    }
    return { drawn: entries.map((entry) => entry.idx) };
  }
}

/**
 * {@link recordIssuedCredentials} inside the caller's transaction (so the record commits or rolls
 * back with the caller's other writes). `tx` must be a transaction: the list counter's row lock is
 * held until it ends.
 *
 * @example
 * await db.transaction((tx) => recordIssuedCredentialsIn(tx, input));
 */
async function recordIssuedCredentialsIn(
  tx: Queryable,
  input: NewIssuedCredentials,
  options: AllocationOptions = {},
  /** Indexes already drawn for the first credentials (by the one-statement try): their first draws. */
  predrawn: readonly number[] = [],
): Promise<RecordedCredentials> {
  const count = input.holderJkts.length;
  if (count < 1 || count > MAX_PER_CALL) {
    throw new RangeError(`recordIssuedCredentials: 1 to ${MAX_PER_CALL} credentials per call, got ${count}`);
  }
  const draw = options.randomIndex ?? ((size: number) => randomInt(size));

  // The offer's owner, the tenant's status and issuing DID, and its newest list, in one round trip.
  const { rows } = await tx.query<{
    offer_tenant: string | null;
    tenant_status: string | null;
    did_id: string | null;
    list_id: number | null;
    allocated: number | null;
  }>(
    `SELECT (SELECT tenant_id FROM offers WHERE id = $2) AS offer_tenant,
            (SELECT status FROM tenants WHERE id = $1) AS tenant_status,
            (SELECT id FROM dids WHERE tenant_id = $1 AND issuing) AS did_id,
            s.list_id, s.allocated
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (
         SELECT list_id, allocated FROM status_lists WHERE tenant_id = $1 ORDER BY list_id DESC LIMIT 1
       ) s ON true`,
    [input.tenantId, input.offerId],
  );
  const head = rows[0];
  // Not approved, or gone (its offers go with it): a refusal, before the offer is looked at.
  if (head?.tenant_status !== 'approved') return { ok: false, reason: 'tenant_not_approved' };
  // The caller holds the offer it issues for: any mismatch is a wiring bug, not a request error.
  if (head.offer_tenant !== input.tenantId) {
    throw new Error('recordIssuedCredentials: the offer does not exist or is not the tenant’s');
  }
  let listId = head.list_id ?? 0;
  if (head.list_id === null || (head.allocated ?? 0) + count > STATUS_LIST_FILL_THRESHOLD) {
    listId += 1;
    // Concurrent issuers opening the same list: the first creates it, the others wait for its
    // commit and find it there (a rolled-back creator leaves the insert to the next one).
    await tx.query(
      `INSERT INTO status_lists (tenant_id, list_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, list_id) DO NOTHING`,
      [input.tenantId, listId, input.issuedAt],
    );
  }

  const pending = input.holderJkts.map((jkt, i) => {
    const idx = predrawn[i];
    return idx === undefined
      ? { id: randomUUID(), jkt, idx: -1, draws: 0, fresh: false }
      : { id: randomUUID(), jkt, idx, draws: 1, fresh: true };
  });
  // Indexes this call already holds on the list.
  const held = new Set<number>();
  let waiting = pending;
  while (waiting.length > 0) {
    // Distinct within the statement too, so one multi-row insert never collides with itself.
    const taken = new Set<number>(held);
    for (const entry of waiting) {
      // A predrawn index is used as is for the first insert (predrawn indexes are distinct).
      if (entry.fresh && !taken.has(entry.idx)) {
        entry.fresh = false;
        taken.add(entry.idx);
        continue;
      }
      entry.fresh = false;
      do {
        if (entry.draws >= MAX_DRAWS) {
          throw new Error(`status list allocation found no free index in ${MAX_DRAWS} draws`);
        }
        entry.draws += 1;
        entry.idx = draw(STATUS_LIST_SIZE);
      } while (taken.has(entry.idx));
      taken.add(entry.idx);
    }
    const values = waiting.map(
      (_, i) => `($${7 + i * 3}::uuid, $${8 + i * 3}::integer, $${9 + i * 3}::text)`,
    );
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO issued_credentials
         (id, tenant_id, offer_id, credential_configuration_id, status, list_id, idx, holder_jkt, issued_at, expires_at)
       SELECT v.id, $1::text, $2::uuid, $3::text, 'valid', $4::integer, v.idx, v.jkt, $5::timestamptz, $6::timestamptz
         FROM (VALUES ${values.join(', ')}) AS v (id, idx, jkt)
       ON CONFLICT (tenant_id, list_id, idx) DO NOTHING
       RETURNING id`,
      [
        input.tenantId,
        input.offerId,
        input.credentialConfigurationId,
        listId,
        input.issuedAt,
        input.expiresAt,
        ...waiting.flatMap((entry) => [entry.id, entry.idx, entry.jkt]),
      ],
    );
    const stored = new Set(inserted.rows.map((row) => row.id));
    for (const entry of waiting) if (stored.has(entry.id)) held.add(entry.idx);
    waiting = waiting.filter((entry) => !stored.has(entry.id));
  }

  // Counted last, so the counter's row lock is held only from here to the commit.
  await tx.query('UPDATE status_lists SET allocated = allocated + $3 WHERE tenant_id = $1 AND list_id = $2', [
    input.tenantId,
    listId,
    count,
  ]);
  return {
    ok: true,
    entries: pending.map((entry) => ({ credentialId: entry.id, listId, idx: entry.idx })),
    issuingDidId: head.did_id,
  };
}

/**
 * The credentials issued for an offer, oldest first, scoped by tenant: another tenant's offer
 * gives an empty list, as an unknown one does.
 *
 * @example
 * const rows = await listCredentialsByOffer(db, tenant.tenantId, offerId);
 */
export async function listCredentialsByOffer(
  db: Queryable,
  tenantId: string,
  offerId: string,
): Promise<IssuedCredentialRow[]> {
  const { rows } = await db.query<IssuedCredentialRow>(
    `SELECT ${CREDENTIAL_COLUMNS} FROM issued_credentials
      WHERE offer_id = $1 AND tenant_id = $2 ORDER BY issued_at, id`,
    [offerId, tenantId],
  );
  return rows;
}

/** A status change to make: whose credential, the target status, when (stored as the change time). */
export interface CredentialStatusChange {
  tenantId: string;
  credentialId: string;
  status: CredentialStatus;
  now: Date;
}

/**
 * The credential after {@link changeCredentialStatus} (`changed` false when it already had the
 * status), or why not: `not_found` (unknown, or another tenant's), `revoked` (a revoked credential
 * cannot change).
 */
export type ChangeCredentialStatusResult = Result<
  { row: IssuedCredentialRow; changed: boolean },
  'not_found' | 'revoked'
>;

/**
 * Sets a credential's status with one conditional UPDATE (never read-then-write), scoped by
 * tenant: the database moves the list's version in the same transaction, so the next status
 * list fetch, on any process, carries the change. Revoked is final; asking for the status the
 * credential already has changes nothing and succeeds (revoking twice included).
 *
 * @example
 * const out = await changeCredentialStatus(db, { tenantId, credentialId, status: 'suspended', now: new Date(now()) });
 * if (!out.ok && out.reason === 'revoked') throw conflict();
 */
export async function changeCredentialStatus(
  db: Queryable,
  change: CredentialStatusChange,
): Promise<ChangeCredentialStatusResult> {
  const { tenantId, credentialId, status, now } = change;
  // A concurrent change can land between the UPDATE that matched nothing and the read that says
  // why; the UPDATE is then tried again, so every answer describes one consistent state.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const updated = await db.query<IssuedCredentialRow>(
      `UPDATE issued_credentials SET status = $3, status_changed_at = $4
        WHERE id = $1 AND tenant_id = $2 AND status <> 'revoked' AND status <> $3
        RETURNING ${CREDENTIAL_COLUMNS}`,
      [credentialId, tenantId, status, now],
    );
    const row = updated.rows[0];
    if (row) return { ok: true, row, changed: true };
    const { rows } = await db.query<IssuedCredentialRow>(
      `SELECT ${CREDENTIAL_COLUMNS} FROM issued_credentials WHERE id = $1 AND tenant_id = $2`,
      [credentialId, tenantId],
    );
    const current = rows[0];
    if (!current) return { ok: false, reason: 'not_found' };
    if (current.status === status) return { ok: true, row: current, changed: false };
    if (current.status === 'revoked') return { ok: false, reason: 'revoked' };
  }
  throw new Error('credential status change kept racing concurrent changes');
}

/** What is needed to tell whether a signed status list is still current: see {@link readStatusListHead}. */
export interface StatusListHead {
  tenantId: string;
  signingProfile: SigningProfile;
  /** The list's version, int8 as decimal text (exact): grows with every status change on it. */
  version: string;
  /** The tenant's issuing DID (the key a list is signed with), or `null` when it has none. */
  issuingDidId: string | null;
}

/** A status list's entries that are not valid, and the version they are at least as new as. */
export interface StatusListEntries extends StatusListHead {
  /** `[idx, value]` of every suspended (2) or revoked (1) credential, by index; valid is 0. */
  entries: Array<[idx: number, value: 0 | 1 | 2]>;
}

/** Status list ids are Postgres `integer`s from 1. */
const isListId = (listId: number) => Number.isInteger(listId) && listId >= 1 && listId <= 2_147_483_647;

/**
 * The version of a tenant's status list and its issuing DID, by slug and list id, in one indexed
 * query (the per-fetch check of a cached signed list), or `null` for an unknown tenant or list.
 * A tenant's lists are served whatever its status: a suspended tenant issues nothing more, but
 * relying parties must still see its revocations (a pending tenant has no list).
 *
 * @example
 * const head = await readStatusListHead(db, { slug: 'acme', listId: 1 }); // { version: '3', … }
 */
export async function readStatusListHead(
  db: Queryable,
  list: { slug: string; listId: number },
): Promise<StatusListHead | null> {
  if (!isListId(list.listId)) return null;
  const { rows } = await db.query<{
    tenant_id: string;
    signing_profile: SigningProfile;
    version: string;
    issuing_did_id: string | null;
  }>(
    `SELECT t.id AS tenant_id, t.signing_profile, s.version, d.id AS issuing_did_id
       FROM tenants t
       JOIN status_lists s ON s.tenant_id = t.id AND s.list_id = $2
       LEFT JOIN dids d ON d.tenant_id = t.id AND d.issuing
      WHERE t.slug = $1`,
    [list.slug, list.listId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    tenantId: row.tenant_id,
    signingProfile: row.signing_profile,
    version: row.version,
    issuingDidId: row.issuing_did_id,
  };
}

/**
 * A status list's suspended and revoked entries (valid ones are the list's zeros), or `null` for
 * an unknown tenant or list (served whatever the tenant's status, see {@link readStatusListHead}).
 * The version is read before the entries, and a status change moves the version in its own
 * transaction: the entries are therefore at least as new as the version returned, so a list
 * signed from them and labelled with it is never older than its label.
 *
 * @example
 * const list = await readStatusListEntries(db, { slug: 'acme', listId: 1 });
 * const lst = list && encodeStatusList(list.entries);
 */
export async function readStatusListEntries(
  db: Queryable,
  list: { slug: string; listId: number },
): Promise<StatusListEntries | null> {
  const head = await readStatusListHead(db, list);
  if (!head) return null;
  const { rows } = await db.query<{ idx: number; status: CredentialStatus }>(
    `SELECT idx, status FROM issued_credentials
      WHERE tenant_id = $1 AND list_id = $2 AND status <> 'valid' ORDER BY idx`,
    [head.tenantId, list.listId],
  );
  return { ...head, entries: rows.map((row) => [row.idx, STATUS_VALUES[row.status]]) };
}
