/**
 * The outcome of an operation that can be refused: `ok` and a named payload, or `ok: false` and a
 * code-chosen `reason` (for logs and metrics; an app maps it to one of its catalog errors, it is
 * never shown as is) plus any detail the caller needs.
 *
 * Refusals a caller is expected to handle are returned, not thrown: the caller's `switch` over
 * `reason` is checked by the compiler, and the reason survives to the log line or metric label
 * where a thrown error would have been flattened into a message. Exceptions stay for faults.
 *
 * - `T`: the success payload, spread beside `ok: true` (name its members: `{ row }`, `{ config }`).
 * - `R`: the closed union of refusal reasons, short snake- or kebab-case words.
 * - `F`: extra members of a refusal (default none), the same for every reason; give a union of
 *   refusals of their own (`Result<T, 'a'> | { ok: false; reason: 'b'; status: S }`) when only one
 *   reason carries a detail.
 *
 * Packages that must not depend on this one (key parsing, the database and test helpers) spell the
 * same shape out structurally, so every outcome in the repository narrows the same way.
 *
 * @example
 * ```ts
 * type InsertResult = Result<{ row: Row }, 'limit' | 'duplicate'>;
 *
 * const out: InsertResult = await insertRow(db, input);
 * if (!out.ok) {
 *   switch (out.reason) {
 *     case 'limit': throw apiErrors.error('LIMIT_EXCEEDED');
 *     case 'duplicate': throw apiErrors.error('CONFLICT');
 *     default: return assertNever(out.reason);
 *   }
 * }
 * return out.row;
 * ```
 */
export type Result<T extends object, R extends string, F extends object = object> =
  | ({ ok: true } & T)
  | ({ ok: false; reason: R } & F);
