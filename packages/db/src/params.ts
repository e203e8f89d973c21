/**
 * Converts parameters the two drivers would send differently into one text form:
 * `Date` → ISO 8601 in UTC (node-postgres would send local time, PGlite UTC), `bigint` →
 * decimal text, recursively inside arrays. Everything else passes through unchanged.
 *
 * @throws TypeError for an invalid Date (a programming error; never send "Invalid Date").
 */
export function normalizeParams(params: readonly unknown[] | undefined): unknown[] {
  if (params === undefined) return [];
  return params.map((value, index) => normalizeValue(value, index + 1));
}

function normalizeValue(value: unknown, position: number): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`query parameter $${position} is an invalid Date`);
    return value.toISOString();
  }
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((item) => normalizeValue(item, position));
  return value;
}
