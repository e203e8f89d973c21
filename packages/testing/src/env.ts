/**
 * The environment a test file hands to the helpers. Packages never read `process.env`
 * themselves (house rule), so test files pass `process.env` in explicitly.
 */
export type TestEnv = Readonly<Record<string, string | undefined>>;

/**
 * Whether the environment says it is a CI run (`CI=true` or `CI=1`).
 *
 * Under CI, infrastructure-backed suites must run rather than skip (DESIGN §8), so the
 * availability helpers throw instead of returning a skip reason.
 *
 * @example
 * ```ts
 * isCi({ CI: 'true' }); // true
 * isCi(process.env);
 * ```
 */
export function isCi(env: TestEnv): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value === 'true' || value === '1';
}
