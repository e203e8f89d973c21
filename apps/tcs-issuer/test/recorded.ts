import type { AllocatedCredential, RecordedCredentials } from '../src/store/credentials.js';

/**
 * The entries a `recordIssuedCredentials` call allocated, failing the test when it recorded
 * nothing (the tenant was not approved).
 *
 * @example
 * const [entry] = await recorded(recordIssuedCredentials(db, input));
 */
export async function recorded(recording: Promise<RecordedCredentials>): Promise<AllocatedCredential[]> {
  const result = await recording;
  if (!result.ok) throw new Error(`nothing recorded: ${result.reason}`);
  return result.entries;
}
