import { useEffect, useState } from 'preact/hooks';

/** What {@link useActions} gives a view. */
export interface Actions {
  /** The last failure (an `ApiError` from the API), for an `ErrorNotice`; undefined while none. */
  readonly error: unknown;
  /**
   * Runs one action of the view: clears the last failure, runs `work`, then loads the view again
   * unless `reload` is false (when `work` changed the credential, the new one's load follows from
   * the hook's `deps`); a throw from either becomes {@link Actions.error}.
   */
  act(work: () => Promise<void>, reload?: boolean): Promise<void>;
}

/**
 * A view's actions and their failure: `load` fills the view (and throws what the API answered),
 * runs whenever `deps` change (a new credential), and again after each action.
 *
 * @example
 * const load = async () => setKeys(await apiRequest<Key[]>('/keys', { headers }));
 * const { error, act } = useActions(load, [token]);
 * const revoke = (key: Key) => act(() => apiRequest(`/keys/${key.id}`, { method: 'DELETE', headers }));
 */
export function useActions(load: () => Promise<void>, deps: readonly unknown[]): Actions {
  const [error, setError] = useState<unknown>();
  const act = async (work: () => Promise<void>, reload = true) => {
    setError(undefined);
    try {
      await work();
      if (reload) await load();
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => void act(async () => undefined), deps);
  return { error, act };
}
