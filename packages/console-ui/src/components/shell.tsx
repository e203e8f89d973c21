// The frame every console shares: its header (title, the page-memory-only hint, Sign out), the
// panel of secrets just shown once, and mounting into the page that `buildConsole` writes.
import { type ComponentChildren, type JSX, render, type VNode } from 'preact';
import { useState } from 'preact/hooks';
import { Button, SecretsShownOnce, type ShownSecret } from './parts.js';

/** The secrets a console shows once, from {@link useShownSecrets}. */
export interface ShownSecrets {
  readonly list: readonly ShownSecret[];
  /** Adds secrets to the panel, after those already in it. */
  show(...secrets: ShownSecret[]): void;
  /** Empties the panel. */
  clear(): void;
}

/**
 * The secrets the API just answered with, kept in component state (page memory) until the user
 * says they are stored, or signs out.
 *
 * @example
 * const secrets = useShownSecrets();
 * secrets.show({ label: 'API key', value: created.apiKey });
 */
export function useShownSecrets(): ShownSecrets {
  const [list, setList] = useState<readonly ShownSecret[]>([]);
  return {
    list,
    show: (...secrets) => setList((shown) => [...shown, ...secrets]),
    clear: () => setList([]),
  };
}

// Joined into one text node with the subject: split in two, Chrome lays the line out a pixel apart.
const KEPT_IN_PAGE_ONLY =
  'stay in this page only: nothing is saved in the browser, so reloading the page signs you out.';

/** Props of {@link ConsoleShell}. */
export interface ConsoleShellProps {
  /** The page's heading. */
  title: string;
  /**
   * What the page holds in memory only, as the subject of the hint saying so ("Your API key and
   * management token"): reloading signs out.
   */
  keptInPage: string;
  /** Whether a credential is held: the Sign out button shows. */
  signedIn: boolean;
  /** Forgets the credentials; the shell empties the panel of shown secrets itself. */
  onSignOut: () => void;
  secrets: ShownSecrets;
  /** The panel's heading, e.g. `Copy your new key now`. */
  secretsTitle: string;
  /** The panel's acknowledging button, e.g. `I have stored it`. */
  secretsDone: string;
  /** The console's views, under the panel. */
  children: ComponentChildren;
}

/**
 * A console's page: the header with its title, the hint that secrets stay in this page only and
 * (signed in) a Sign out button; then the panel of secrets shown once while there are any
 * ({@link SecretsShownOnce}), then the views.
 *
 * @example
 * <ConsoleShell title="MiCA Register developer console" keptInPage="Your API key" signedIn={apiKey !== undefined}
 *   onSignOut={() => setApiKey(undefined)} secrets={secrets} secretsTitle="Copy your new key now" secretsDone="I have stored it">
 *   <Keys />
 * </ConsoleShell>
 */
export function ConsoleShell(props: ConsoleShellProps): JSX.Element {
  const { secrets } = props;
  const signOut = () => {
    props.onSignOut();
    secrets.clear();
  };
  return (
    <>
      <header class="site">
        <h1>{props.title}</h1>
        <p class="hint">{`${props.keptInPage} ${KEPT_IN_PAGE_ONLY}`}</p>
        {props.signedIn ? (
          <Button variant="secondary" onClick={signOut}>
            Sign out
          </Button>
        ) : null}
      </header>
      <main>
        {secrets.list.length > 0 ? (
          <SecretsShownOnce
            secrets={secrets.list}
            title={props.secretsTitle}
            doneLabel={props.secretsDone}
            onDone={secrets.clear}
          />
        ) : null}
        {props.children}
      </main>
    </>
  );
}

/**
 * Renders a console into the `#app` element of the page `buildConsole` writes, replacing its
 * `<noscript>` text; a page without one is left alone.
 *
 * @example
 * mountConsole(<App />);
 */
export function mountConsole(app: VNode): void {
  const root = document.getElementById('app');
  if (root === null) return;
  root.textContent = '';
  render(app, root);
}
