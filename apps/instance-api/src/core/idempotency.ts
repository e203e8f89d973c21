import { createHash } from 'node:crypto';
import type { Database, Queryable } from '@portcullis/db';
import { catalogErrors, instanceApiErrors } from '@portcullis/errors';
import { WRITTEN, type Written } from '@portcullis/routes';
import { z } from 'zod';
import type { AppContext } from '../state.js';
import { LostRace, retryingTransaction } from './common.js';

// `Idempotency-Key` (SPEC §4.5, the published convention): a client that retries a change with
// the same key gets the first answer again, byte for byte, for 24 hours, and the change is made
// once. The key's record is written in the change's own transaction: a concurrent request with
// the same key waits on that row (INSERT … ON CONFLICT waits for the inserting transaction), then
// reads the committed answer, so N concurrent identical requests make one change and get one
// answer. Only a success is remembered: a refused request (400, 404, 409) rolls back with its
// record, so the client can correct the cause and retry under the same key.

/** How long an answer is replayed, ms (24 h). */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_MESSAGE = 'must be 8 to 200 visible ASCII characters';

/** The optional `Idempotency-Key` request header, 8–200 visible ASCII characters. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ message: KEY_MESSAGE })
    .regex(/^[\x21-\x7e]{8,200}$/, KEY_MESSAGE)
    .optional()
    .meta({
      description:
        'Makes the change once: a retry with the same key within 24 h gets the first answer again, byte for byte (with `Idempotent-Replayed: true`); the same key with another request is a 409 `IDEMPOTENCY_MISMATCH`. Only successes are remembered.',
    }),
});

/** The response header that marks a replayed answer. */
const REPLAYED_HEADER = 'Idempotent-Replayed';

/** What a change answered: status and the exact JSON text of its body. */
export interface StoredAnswer {
  status: number;
  body: string;
}

/** The documented 409 of a key reused with another request. */
export const IDEMPOTENCY_ERRORS = catalogErrors(instanceApiErrors, 'IDEMPOTENCY_MISMATCH');

/**
 * The fingerprint of a request under a key: its operation and its validated parameters and body
 * (after canonicalisation, so `"1.50"` and `"1.5"` are the same request). SHA-256, hex.
 *
 * @example
 * requestFingerprint('custodyCredit', {}, body)
 */
export function requestFingerprint(operationId: string, params: unknown, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([operationId, params ?? null, body ?? null]))
    .digest('hex');
}

export interface IdempotentOptions {
  instanceId: string;
  /** The `Idempotency-Key` header, or undefined for a plain change. */
  key: string | undefined;
  fingerprint: string;
  /** Now, ms since the epoch: answers older than 24 h are forgotten. */
  nowMs: number;
}

/**
 * Runs `change` (which returns its answer as status and JSON text) in one transaction, once per
 * idempotency key: with a key already answered within 24 h for the same fingerprint, returns that
 * answer (`replayed: true`) without running anything; for another fingerprint throws 409
 * `IDEMPOTENCY_MISMATCH`. Without a key, simply runs the change in a transaction. A deadlock or
 * serialization failure reruns the whole transaction.
 *
 * @example
 * const answer = await idempotent(db, { instanceId, key, fingerprint, nowMs: now() }, async (tx) => {
 *   const data = await credit(tx, …);
 *   return { status: 200, body: JSON.stringify(envelope(ctx, now, data)) };
 * });
 */
export function idempotent(
  db: Database,
  options: IdempotentOptions,
  change: (tx: Queryable) => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const { instanceId, key, fingerprint, nowMs } = options;
  return retryingTransaction(db, async (tx) => {
    if (key === undefined) return { ...(await change(tx)), replayed: false };
    await tx.query('DELETE FROM idempotency_keys WHERE instance_id = $1 AND key = $2 AND created_at <= $3', [
      instanceId,
      key,
      new Date(nowMs - IDEMPOTENCY_TTL_MS),
    ]);
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (instance_id, key, fingerprint, status, body, created_at)
       VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (instance_id, key) DO NOTHING RETURNING 1`,
      [instanceId, key, fingerprint, new Date(nowMs)],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await tx.query<{ fingerprint: string; status: number; body: string }>(
        'SELECT fingerprint, status, body FROM idempotency_keys WHERE instance_id = $1 AND key = $2',
        [instanceId, key],
      );
      const first = rows[0];
      // Gone between the two statements (expired and deleted by another request): start over.
      if (first === undefined) throw new LostRace('idempotency record vanished');
      if (first.fingerprint !== fingerprint) throw instanceApiErrors.error('IDEMPOTENCY_MISMATCH');
      return { status: first.status, body: first.body, replayed: true };
    }
    const answer = await change(tx);
    await tx.query('UPDATE idempotency_keys SET status = $3, body = $4 WHERE instance_id = $1 AND key = $2', [
      instanceId,
      key,
      answer.status,
      answer.body,
    ]);
    return { ...answer, replayed: false };
  });
}

/**
 * Sends a stored answer as it was first written (status, JSON text), marking a replay with
 * `Idempotent-Replayed: true`. A replayed body is the first answer byte for byte, so its
 * `metadata.requestId` and `timestamp` are the first request's, while the `X-Request-Id` header
 * names this request.
 *
 * @example
 * return sendAnswer(ctx, await idempotent(db, options, change));
 */
export function sendAnswer(ctx: AppContext, answer: StoredAnswer & { replayed: boolean }): Written {
  ctx.status = answer.status;
  ctx.set('Content-Type', 'application/json; charset=utf-8');
  if (answer.replayed) ctx.set(REPLAYED_HEADER, 'true');
  ctx.body = answer.body;
  return WRITTEN;
}

/** `Idempotent-Replayed` as the document states it, for the success answers of idempotent routes. */
export const REPLAYED_RESPONSE_HEADERS = {
  [REPLAYED_HEADER]: z
    .literal('true')
    .optional()
    .meta({
      description:
        'Present on a replay: the body is the first answer to this `Idempotency-Key`, byte for byte.',
      header: { id: REPLAYED_HEADER },
    }),
};
