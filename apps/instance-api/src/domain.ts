/** Services an instance can enable (SPEC §4.3). */
export const SERVICES = ['customers', 'tokenization', 'trading', 'lending', 'custody'] as const;
export type Service = (typeof SERVICES)[number];

export const INSTANCE_TYPES = ['DEVELOPMENT', 'PRODUCTION'] as const;
export type InstanceType = (typeof INSTANCE_TYPES)[number];

export const KEY_STATUSES = ['ACTIVE', 'PAUSED', 'PENDING_ROTATION', 'EXPIRED', 'REVOKED'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** SPEC §4.4: at most 10 keys in ACTIVE or PAUSED per instance; PENDING_ROTATION does not count. */
export const MAX_ACTIVE_KEYS = 10;
/** SPEC §4.4 rotation overlap bounds and default, in seconds. */
export const OVERLAP_SECONDS = { min: 0, max: 2_592_000, default: 604_800 } as const;
/** SPEC §4.4 pause duration bounds, in seconds. */
export const PAUSE_SECONDS = { min: 60, max: 7_776_000 } as const;

/** The stored state of a key that decides what it may do. Times in ms since the epoch. */
export interface KeyState {
  status: KeyStatus;
  pausedUntilMs: number | null;
  expiresAtMs: number | null;
}

/**
 * The status a key has at `nowMs` (SPEC §4.4): a PAUSED key whose pause has ended is ACTIVE, a
 * PENDING_ROTATION key past its overlap end is EXPIRED, and a PENDING_ROTATION key that was
 * PAUSED when it was rotated is PAUSED until its `pausedUntil` (rotation never re-enables a key),
 * then PENDING_ROTATION until its overlap end. Evaluated at use, never stored by a job, so a key
 * changes state on time even when its row comes from a cache. `effectiveStatusSql` in
 * `store/api-keys.ts` is the same rule in SQL; a test holds the two together.
 *
 * @example
 * effectiveStatus({ status: 'PAUSED', pausedUntilMs: 1_000, expiresAtMs: null }, 2_000); // 'ACTIVE'
 * // Rotated while paused until t = 5 s, overlap ending at t = 9 s:
 * const rotated = { status: 'PENDING_ROTATION', pausedUntilMs: 5_000, expiresAtMs: 9_000 } as const;
 * effectiveStatus(rotated, 2_000); // 'PAUSED'
 * effectiveStatus(rotated, 6_000); // 'PENDING_ROTATION'
 * effectiveStatus(rotated, 9_000); // 'EXPIRED'
 */
export function effectiveStatus(key: KeyState, nowMs: number): KeyStatus {
  switch (key.status) {
    case 'PAUSED':
      return key.pausedUntilMs !== null && key.pausedUntilMs <= nowMs ? 'ACTIVE' : 'PAUSED';
    case 'PENDING_ROTATION':
      if (key.expiresAtMs !== null && key.expiresAtMs <= nowMs) return 'EXPIRED';
      return key.pausedUntilMs !== null && key.pausedUntilMs > nowMs ? 'PAUSED' : 'PENDING_ROTATION';
    case 'ACTIVE':
    case 'EXPIRED':
    case 'REVOKED':
      return key.status;
  }
}

/** The effective statuses in which a key authenticates. */
type AuthenticatingStatus = 'ACTIVE' | 'PENDING_ROTATION';

/** Whether a key in this effective status authenticates (SPEC §4.2); narrows the status either way. */
export function authenticates(status: KeyStatus): status is AuthenticatingStatus {
  return status === 'ACTIVE' || status === 'PENDING_ROTATION';
}

/**
 * Whether a caller whose own key has this effective status may change keys (create, rotate,
 * pause, resume, revoke, delete). Only an ACTIVE key may: a key in its rotation overlap still
 * authenticates, so deployments can switch to its successor, but it is on its way out and may be
 * the reason for the rotation (a leak). It may read (instance, key list) but neither mint a secret
 * that would outlive its overlap nor lock its successor out. The store checks the same rule in
 * SQL, under the instance's row lock, when it changes keys.
 *
 * @example
 * mayManageKeys('ACTIVE'); // true
 * mayManageKeys('PENDING_ROTATION'); // false
 */
export function mayManageKeys(status: KeyStatus): boolean {
  return status === 'ACTIVE';
}
