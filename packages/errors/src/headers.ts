// Header hygiene shared by CodedError and the renderers. Names are lower-cased (the package-wide
// convention: every header record this package returns uses lower-case names), and anything that
// Node's `setHeader` would reject, or that could split a response, is dropped rather than thrown:
// a renderer runs inside an error handler, where a throw would turn one error into a crash.

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
// RFC 9110 §5.5 field-value restricted to visible ASCII, SP and HTAB (no obs-text, no CR/LF/NUL).
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

/** Lower-cases names and keeps only syntactically valid, single-line header fields. */
export function cleanHeaders(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof input !== 'object' || input === null) return out;
  for (const [rawName, value] of Object.entries(input)) {
    const name = rawName.toLowerCase();
    if (!TOKEN.test(name) || typeof value !== 'string' || !FIELD_VALUE.test(value)) continue;
    // Object.defineProperty keeps a header literally named "__proto__" from touching the prototype.
    Object.defineProperty(out, name, {
      value: value.trim(),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** True when every entry would survive {@link cleanHeaders} unchanged apart from name case. */
export function headersAreValid(input: Readonly<Record<string, string>>): boolean {
  return Object.entries(input).every(
    ([name, value]) => TOKEN.test(name.toLowerCase()) && typeof value === 'string' && FIELD_VALUE.test(value),
  );
}
