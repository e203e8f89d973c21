import type { Database, Queryable } from '@portcullis/db';
import { readStatusListEntries, readStatusListHead, type StatusListHead } from '../store/credentials.js';
import { freshReads } from './fresh-reads.js';
import { encodeStatusList, signStatusListToken } from './status-list-token.js';
import { STATUS_LIST_SIZE, STATUS_LIST_TTL_SECONDS, type TenantSigners } from './types.js';

// Signed status lists, served from a per-process cache that is checked against the database on
// every fetch: one indexed query reads the list's version (moved by every status change, in the
// change's own transaction) and the tenant's issuing DID, and a cached token is served only while
// both are the ones it was signed for. A change is thus in the very next response, on every
// process, with no invalidation message to lose.

/**
 * A signed list is served again for at most this many seconds, then signed anew even if nothing
 * changed: its `iat` stays recent, so a relying party that counts the token's `ttl` from `iat`
 * keeps caching it for most of that `ttl`.
 */
export const STATUS_LIST_RESIGN_SECONDS = 60;
/**
 * `exp` − `iat` of a status list token, seconds (1 hour). A token is served for at most
 * {@link STATUS_LIST_RESIGN_SECONDS} and cached by relying parties for at most its `ttl`
 * (`STATUS_LIST_TTL_SECONDS`, 300 s), so it never expires in use even with minutes of clock skew;
 * and an old copy cannot be passed off as current for long after a revocation.
 */
export const STATUS_LIST_VALIDITY_SECONDS = 3_600;
/** Most signed lists kept per process; past it the one signed longest ago is dropped. */
const DEFAULT_MAX_CACHED = 1_000;

/**
 * The `uri` of a status list, as credentials carry it and as it is served:
 * `PUBLIC_URL/v1/status-lists/<slug>/<listId>` (a trailing `/` of `PUBLIC_URL` is dropped).
 *
 * @example
 * statusListUri('https://tcs.example', 'acme', 1) // 'https://tcs.example/v1/status-lists/acme/1'
 */
export function statusListUri(publicUrl: string, slug: string, listId: number): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/status-lists/${slug}/${listId}`;
}

/** What {@link createStatusListService} needs. */
export interface StatusListServiceOptions {
  db: Queryable & Pick<Database, 'finishedWork'>;
  /** The tenants' signers: a list is signed like the tenant's credentials. */
  signers: TenantSigners;
  /** `PUBLIC_URL`, the base of each list's `uri` (its `sub`). */
  publicUrl: string;
  /** Clock, ms since the epoch. */
  now: () => number;
  /** Most signed lists kept (default 1 000; a list token is at most ~32 KB). */
  maxCached?: number;
}

/** Signed status list tokens, current on every fetch. */
export interface StatusListService {
  /**
   * The compact `statuslist+jwt` of a tenant's list, or `null` when the tenant or the list is
   * unknown (or the tenant has no issuing DID to sign with).
   */
  token(slug: string, listId: number): Promise<string | null>;
}

interface Signed {
  tenantId: string;
  version: bigint;
  issuingDidId: string | null;
  /** `iat` of the token, seconds. */
  issuedAt: number;
  token: string;
}

interface InFlight {
  version: bigint;
  issuingDidId: string | null;
  promise: Promise<string | null>;
}

/**
 * Serves each tenant's status lists as signed `statuslist+jwt` tokens (`sub` = the list's
 * {@link statusListUri}, `ttl` {@link STATUS_LIST_TTL_SECONDS}, `exp` = `iat` +
 * {@link STATUS_LIST_VALIDITY_SECONDS}). Every fetch checks the list's version and the tenant's
 * issuing DID with an indexed query that started after the fetch arrived (fetches arriving
 * together share one: {@link freshReads}); a token is signed again when either changed, or when the cached
 * one is {@link STATUS_LIST_RESIGN_SECONDS} old. Concurrent fetches that need the same new token
 * share one signature. Lists of suspended tenants are still served: relying parties must keep
 * seeing their revocations.
 *
 * @example
 * const statusLists = createStatusListService({ db, signers, publicUrl, now: Date.now });
 * const jwt = await statusLists.token('acme', 1); // null → 404
 */
export function createStatusListService(options: StatusListServiceOptions): StatusListService {
  const { db, signers, publicUrl, now } = options;
  const maxCached = options.maxCached ?? DEFAULT_MAX_CACHED;
  const cache = new Map<string, Signed>();
  const inFlight = new Map<string, InFlight>();
  // The version check of every fetch, never stale: a fetch joins the next query that starts after
  // it arrived (a change committed before it is always seen), so a burst of fetches of one list
  // costs one query per round trip. On the embedded database, which this process alone writes and
  // which runs one piece of work at a time, a head read is served again while no other statement
  // has finished since it: nothing can have changed.
  const queryHead = freshReads(
    (list: { slug: string; listId: number }) => readStatusListHead(db, list),
    (list) => `${list.slug}/${list.listId}`,
  );
  const finishedWork = db.finishedWork;
  const unchanged = new Map<string, { at: number; head: StatusListHead | null }>();
  const readHead = async (list: { slug: string; listId: number }): Promise<StatusListHead | null> => {
    if (finishedWork === undefined) return queryHead(list);
    const key = `${list.slug}/${list.listId}`;
    const before = finishedWork();
    const known = unchanged.get(key);
    if (known !== undefined && known.at === before) return known.head;
    const head = await queryHead(list);
    const after = finishedWork();
    // Only this read finished in between: the answer holds until the next piece of work finishes.
    if (after === before + 1) {
      if (unchanged.size >= maxCached) unchanged.clear();
      unchanged.set(key, { at: after, head });
    }
    return head;
  };

  const store = (key: string, signed: Signed) => {
    const held = cache.get(key);
    // A slower signer of an older version must not replace a newer token.
    if (held !== undefined && held.tenantId === signed.tenantId && held.version > signed.version) return;
    cache.delete(key);
    if (cache.size >= maxCached) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, signed);
  };

  const sign = async (key: string, slug: string, listId: number): Promise<string | null> => {
    const list = await readStatusListEntries(db, { slug, listId });
    if (list === null) return null;
    const signer = await signers.forTenant({ id: list.tenantId, slug, signingProfile: list.signingProfile });
    if (signer === null) return null;
    const issuedAt = Math.floor(now() / 1000);
    const token = await signStatusListToken({
      signer,
      uri: statusListUri(publicUrl, slug, listId),
      lst: encodeStatusList(list.entries, STATUS_LIST_SIZE),
      issuedAt,
      expiresAt: issuedAt + STATUS_LIST_VALIDITY_SECONDS,
    });
    store(key, {
      tenantId: list.tenantId,
      version: BigInt(list.version),
      issuingDidId: list.issuingDidId,
      issuedAt,
      token,
    });
    return token;
  };

  /** One signature for every fetch that needs a token at least as new as `head`. */
  const signOnce = (key: string, slug: string, listId: number, head: StatusListHead, version: bigint) => {
    const running = inFlight.get(key);
    // A signing that started at this version or a later one reads entries at least that new.
    if (running !== undefined && running.version >= version && running.issuingDidId === head.issuingDidId) {
      return running.promise;
    }
    const promise = sign(key, slug, listId).finally(() => {
      if (inFlight.get(key)?.promise === promise) inFlight.delete(key);
    });
    inFlight.set(key, { version, issuingDidId: head.issuingDidId, promise });
    return promise;
  };

  return {
    async token(slug, listId) {
      const head = await readHead({ slug, listId });
      // No issuing DID, nothing to sign with: answered without reading the list.
      if (head === null || head.issuingDidId === null) return null;
      const key = `${slug}/${listId}`;
      const version = BigInt(head.version);
      const cached = cache.get(key);
      if (
        cached !== undefined &&
        cached.tenantId === head.tenantId &&
        cached.version >= version &&
        cached.issuingDidId === head.issuingDidId
      ) {
        const age = Math.floor(now() / 1000) - cached.issuedAt;
        if (age >= 0 && age < STATUS_LIST_RESIGN_SECONDS) return cached.token;
      }
      return signOnce(key, slug, listId, head, version);
    },
  };
}
