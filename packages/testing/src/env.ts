/**
 * The environment the availability helpers read. They default to `process.env`: this package is
 * test support, the one place besides each app's `env.ts` that reads the environment, so test
 * files never touch `process.env` themselves. Tests of the helpers pass a made-up one.
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
