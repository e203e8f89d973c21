// The instance API's web console: an operator view (signed in with the operator token: instances,
// their services, archiving, each new instance's `Default` key shown once) and a key dashboard
// (signed in with an instance key: the instance, its keys, create, rotate, pause, resume, revoke,
// delete). It calls only the documented API routes of its own origin; the operator token and keys
// live in this page's memory (component state) and nowhere else, so a reload signs out.
import {
  type ApiRequestOptions,
  apiRequest,
  Button,
  ErrorNotice,
  Field,
  SecretsShownOnce,
  SelectField,
  type ShownSecret,
} from '@portcullis/console-ui/components';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './style.css';

type KeyStatus = 'ACTIVE' | 'PAUSED' | 'PENDING_ROTATION' | 'EXPIRED' | 'REVOKED';

interface KeyCounts {
  total: number;
  active: number;
  paused: number;
  pendingRotation: number;
  expired: number;
  revoked: number;
}
interface Instance {
  id: string;
  name: string;
  type: 'DEVELOPMENT' | 'PRODUCTION';
  instanceRef: string;
  services: Array<{ id: string; enabled: boolean }>;
  archived: boolean;
  createdAt: string;
  limits: { maxApiKeys: number };
}
interface ApiKey {
  id: string;
  name: string;
  keyPreview: string;
  status: KeyStatus;
  lastUsedAt: string | null;
  createdAt: string;
  expiresAt: string | null;
  pausedUntil: string | null;
}
interface Envelope<T> {
  success: boolean;
  data: T;
}

/** The headroom the last answer's `X-RateLimit-*` headers gave. */
interface RateLimit {
  limit: number;
  remaining: number;
  /** Unix seconds. */
  reset: number;
}

/** A secret the API just gave, shown once. */
type Shown = ShownSecret;

/** Reads the `X-RateLimit-*` headers of an answer; undefined when it has none. */
function rateLimitOf(headers: Headers): RateLimit | undefined {
  const limit = Number(headers.get('x-ratelimit-limit') ?? Number.NaN);
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? Number.NaN);
  const reset = Number(headers.get('x-ratelimit-reset') ?? Number.NaN);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  return { limit, remaining, reset };
}

/** One API call of a view: its credential on this call only, `data` of the envelope returned. */
type Call = <T>(path: string, options?: Omit<ApiRequestOptions, 'headers' | 'onResponse'>) => Promise<T>;

function caller(headers: Record<string, string>, onRate: (rate: RateLimit) => void): Call {
  return async <T,>(path: string, options: Omit<ApiRequestOptions, 'headers' | 'onResponse'> = {}) => {
    const answer = await apiRequest<Envelope<T>>(path, {
      ...options,
      headers,
      onResponse: ({ headers: received }) => {
        const rate = rateLimitOf(received);
        if (rate !== undefined) onRate(rate);
      },
    });
    return answer.data;
  };
}

const when = (iso: string | null) => (iso === null ? '—' : `${iso.slice(0, 16).replace('T', ' ')} UTC`);

/** "2 d 3 h", "23 h 59 min", "4 min": the time from `nowMs` to `iso`. */
function timeLeft(iso: string, nowMs: number): string {
  const minutes = Math.max(0, Math.floor((Date.parse(iso) - nowMs) / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes % 60} min`;
  return `${minutes} min`;
}

/** A clock for the "time left" columns, ticking every 30 s. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function App() {
  const [adminToken, setAdminToken] = useState<string>();
  const [apiKey, setApiKey] = useState<string>();
  const [shown, setShown] = useState<Shown[]>([]);
  const signedIn = adminToken !== undefined || apiKey !== undefined;
  const signOut = () => {
    setAdminToken(undefined);
    setApiKey(undefined);
    setShown([]);
  };
  const show = (secret: Shown) => setShown((list) => [...list, secret]);
  return (
    <>
      <header class="site">
        <h1>Instance API console</h1>
        <p class="hint">
          The operator token and your keys stay in this page only: nothing is saved in the browser, so
          reloading the page signs you out.
        </p>
        {signedIn ? (
          <Button variant="secondary" onClick={signOut}>
            Sign out
          </Button>
        ) : null}
      </header>
      <main>
        {shown.length > 0 ? (
          <SecretsShownOnce
            secrets={shown}
            title="Copy your new key now"
            doneLabel="I have stored it"
            onDone={() => setShown([])}
          />
        ) : null}
        {adminToken === undefined ? (
          <OperatorSignIn onSignIn={setAdminToken} />
        ) : (
          <Operator token={adminToken} onShown={show} />
        )}
        {apiKey === undefined ? (
          <KeySignIn onSignIn={setApiKey} />
        ) : (
          <Dashboard apiKey={apiKey} onShown={show} onApiKey={setApiKey} />
        )}
      </main>
    </>
  );
}

function RateLimitStatus({ rate, what }: { rate: RateLimit | undefined; what: string }) {
  if (rate === undefined) return null;
  const reset = new Date(rate.reset * 1000).toISOString().slice(11, 19);
  return (
    <p class="hint rate" role="status" aria-live="polite">
      {what}: <strong>{rate.remaining}</strong> of {rate.limit} left (window resets at {reset} UTC).
    </p>
  );
}

/** A sign-in form that checks its credential with one read before the view opens. */
function SignInForm(props: {
  id: string;
  title: string;
  label: string;
  hint: string;
  check: (secret: string) => Promise<unknown>;
  onSignIn: (secret: string) => void;
}) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = secret.trim();
    setBusy(true);
    setError(undefined);
    try {
      await props.check(value);
      setSecret('');
      props.onSignIn(value);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <form onSubmit={(event) => void submit(event)}>
        <Field
          label={props.label}
          type="password"
          value={secret}
          onInput={setSecret}
          required
          hint={props.hint}
        />
        <ErrorNotice error={error} />
        <Button type="submit" disabled={busy || secret.trim() === ''}>
          Sign in
        </Button>
      </form>
    </section>
  );
}

function OperatorSignIn({ onSignIn }: { onSignIn: (token: string) => void }) {
  return (
    <SignInForm
      id="operator-signin-title"
      title="Operator sign-in"
      label="Operator token"
      hint="ADMIN_TOKEN of this deployment: lists and creates instances."
      check={(token) => caller({ authorization: `Bearer ${token}` }, () => undefined)('/admin/instances')}
      onSignIn={onSignIn}
    />
  );
}

function KeySignIn({ onSignIn }: { onSignIn: (key: string) => void }) {
  return (
    <SignInForm
      id="key-signin-title"
      title="Key dashboard sign-in"
      label="Instance API key"
      hint="trusset_… — manages the keys of its instance."
      check={(key) => caller({ 'x-api-key': key }, () => undefined)('/api/v2/instance')}
      onSignIn={onSignIn}
    />
  );
}

// ---------------------------------------------------------------------------------------------
// Operator view
// ---------------------------------------------------------------------------------------------

type InstanceWithCounts = Instance & { keys: KeyCounts };

function Operator({ token, onShown }: { token: string; onShown: (secret: Shown) => void }) {
  const [instances, setInstances] = useState<InstanceWithCounts[]>();
  const [rate, setRate] = useState<RateLimit>();
  const [error, setError] = useState<unknown>();
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const [type, setType] = useState('DEVELOPMENT');
  const call = caller({ authorization: `Bearer ${token}` }, setRate);

  const load = async () => setInstances(await call<InstanceWithCounts[]>('/admin/instances'));
  const act = async (work: () => Promise<void>) => {
    setError(undefined);
    try {
      await work();
      await load();
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => void act(async () => undefined), [token]);

  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const created = await call<{ instance: Instance; apiKey: string }>('/admin/instances', {
        method: 'POST',
        json: { name: name.trim(), type },
      });
      setName('');
      onShown({ label: `Default key of ${created.instance.name}`, value: created.apiKey });
      setStatus(`Instance "${created.instance.name}" created with its Default key.`);
    });
  };
  const toggle = (instance: Instance, service: string) =>
    act(async () => {
      const services = instance.services
        .filter((s) => (s.id === service ? !s.enabled : s.enabled))
        .map((s) => s.id);
      await call(`/admin/instances/${instance.id}`, { method: 'PATCH', json: { services } });
      setStatus(`Services of "${instance.name}" updated.`);
    });
  const archive = (instance: Instance) =>
    act(async () => {
      const action = instance.archived ? 'unarchive' : 'archive';
      await call(`/admin/instances/${instance.id}/${action}`, { method: 'POST' });
      setStatus(`Instance "${instance.name}" ${action}d.`);
    });

  return (
    <section class="card" aria-labelledby="operator-title">
      <h2 id="operator-title">Instances</h2>
      <RateLimitStatus rate={rate} what="Operator requests" />
      <ErrorNotice error={error} />
      <p class="copy-status" role="status" aria-live="polite">
        {status}
      </p>
      <h3>Create an instance</h3>
      <form onSubmit={create}>
        <div class="row">
          <Field label="Instance name" value={name} onInput={setName} required maxLength={100} />
          <SelectField
            label="Instance type"
            value={type}
            onChange={setType}
            options={[
              ['DEVELOPMENT', 'Development'],
              ['PRODUCTION', 'Production'],
            ]}
          />
          <Button type="submit" disabled={name.trim() === ''}>
            Create instance
          </Button>
        </div>
      </form>
      {instances === undefined ? null : instances.length === 0 ? (
        <p>No instance yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="hint">Every instance, with its services and key counts.</caption>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Type</th>
                <th scope="col">Keys</th>
                <th scope="col">Services</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {instances.map((instance) => (
                <tr key={instance.id}>
                  <td>
                    <strong>{instance.name}</strong>
                    <br />
                    <span class="code small">{instance.id}</span>
                  </td>
                  <td>{instance.type}</td>
                  <td>
                    {instance.keys.active} active of {instance.keys.total}
                  </td>
                  <td>
                    <div class="toggles">
                      {instance.services.map((service) => (
                        <button
                          key={service.id}
                          type="button"
                          class={`btn toggle ${service.enabled ? 'toggle-on' : 'toggle-off'}`}
                          aria-pressed={service.enabled}
                          aria-label={`${service.id} for ${instance.name}`}
                          onClick={() => void toggle(instance, service.id)}
                        >
                          {service.id}
                        </button>
                      ))}
                    </div>
                  </td>
                  <td>
                    <span class={`badge ${instance.archived ? 'badge-revoked' : 'badge-active'}`}>
                      {instance.archived ? 'archived' : 'live'}
                    </span>{' '}
                    <Button
                      variant={instance.archived ? 'secondary' : 'danger'}
                      label={`${instance.archived ? 'Unarchive' : 'Archive'} ${instance.name}`}
                      onClick={() => void archive(instance)}
                    >
                      {instance.archived ? 'Unarchive' : 'Archive'}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Key dashboard
// ---------------------------------------------------------------------------------------------

type InstanceWithStats = Instance & { stats: { apiKeys: KeyCounts } };

const STATUS_TEXT: Readonly<Record<KeyStatus, string>> = {
  ACTIVE: 'active',
  PAUSED: 'paused',
  PENDING_ROTATION: 'pending rotation',
  EXPIRED: 'expired',
  REVOKED: 'revoked',
};

const OVERLAPS: ReadonlyArray<readonly [string, string]> = [
  ['0', 'None: the old key stops at once'],
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
  ['custom', 'Custom…'],
];
const PAUSES: ReadonlyArray<readonly [string, string]> = [
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
  ['custom', 'Custom…'],
];

/**
 * Is `key` (a listing row) the key this page signed in with? Its 20-character preview starts it.
 * Keys of one instance share their first 17 characters, so a preview match is near certain but
 * not guaranteed; it only decides which key the page switches to after rotating its own.
 */
const isOwn = (key: ApiKey, apiKey: string) => apiKey.startsWith(key.keyPreview);

interface DashboardProps {
  apiKey: string;
  onShown: (secret: Shown) => void;
  onApiKey: (apiKey: string) => void;
}

function Dashboard({ apiKey, onShown, onApiKey }: DashboardProps) {
  const [instance, setInstance] = useState<InstanceWithStats>();
  const [keys, setKeys] = useState<ApiKey[]>();
  const [rate, setRate] = useState<RateLimit>();
  const [error, setError] = useState<unknown>();
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const [managing, setManaging] = useState<string>();
  const now = useNow();
  const call = caller({ 'x-api-key': apiKey }, setRate);

  const load = async () => {
    setInstance(await call<InstanceWithStats>('/api/v2/instance'));
    setKeys(await call<ApiKey[]>('/api/v2/instance/api-keys'));
  };
  const act = async (work: () => Promise<void>, reload = true) => {
    setError(undefined);
    try {
      await work();
      if (reload) await load();
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => void act(async () => undefined), [apiKey]);

  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const created = await call<{ id: string; key: string; name: string }>('/api/v2/instance/api-keys', {
        method: 'POST',
        json: { name: name.trim() },
      });
      setName('');
      onShown({ label: `API key "${created.name}"`, value: created.key });
      setStatus(`Key "${created.name}" created.`);
    });
  };

  const managed = keys?.find((key) => key.id === managing);
  return (
    <>
      <section class="card" aria-labelledby="instance-title">
        <h2 id="instance-title">{instance === undefined ? 'Your instance' : `Instance ${instance.name}`}</h2>
        <RateLimitStatus rate={rate} what="Requests left this minute" />
        <ErrorNotice error={error} />
        <p class="copy-status" role="status" aria-live="polite">
          {status}
        </p>
        {instance === undefined ? null : (
          <dl class="detail">
            <dt>Id</dt>
            <dd class="code">{instance.id}</dd>
            <dt>Type</dt>
            <dd>{instance.type}</dd>
            <dt>Reference</dt>
            <dd class="code">{instance.instanceRef}</dd>
            <dt>Status</dt>
            <dd>{instance.archived ? 'archived: its keys are refused' : 'live'}</dd>
            <dt>Services</dt>
            <dd>
              <ul class="services">
                {instance.services.map((service) => (
                  <li key={service.id}>
                    {service.id}: {service.enabled ? 'on' : 'off'}
                  </li>
                ))}
              </ul>
            </dd>
            <dt>Keys</dt>
            <dd>
              {instance.stats.apiKeys.active} active, {instance.stats.apiKeys.paused} paused,{' '}
              {instance.stats.apiKeys.pendingRotation} pending rotation (at most {instance.limits.maxApiKeys}{' '}
              active or paused)
            </dd>
          </dl>
        )}
      </section>
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <form onSubmit={create}>
          <div class="row">
            <Field label="Key name" value={name} onInput={setName} required maxLength={100} />
            <Button type="submit" disabled={name.trim() === ''}>
              Create key
            </Button>
          </div>
        </form>
        {keys === undefined ? null : (
          <div class="table-wrap">
            <table>
              <caption class="hint">
                Keys are never shown again after creation; these are their previews.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Preview</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Until</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => (
                  <tr key={key.id}>
                    <td>
                      {key.name}
                      {isOwn(key, apiKey) ? <span class="hint"> (this page)</span> : null}
                    </td>
                    <td class="code">{key.keyPreview}…</td>
                    <td>
                      <span class={`badge badge-${key.status.toLowerCase().replace('_', '-')}`}>
                        {STATUS_TEXT[key.status]}
                      </span>
                    </td>
                    <td>{when(key.lastUsedAt)}</td>
                    <td>
                      {key.status === 'PENDING_ROTATION' && key.expiresAt !== null
                        ? `overlap: ${timeLeft(key.expiresAt, now)} left`
                        : key.status === 'PAUSED' && key.pausedUntil !== null
                          ? `paused: ${timeLeft(key.pausedUntil, now)} left`
                          : '—'}
                    </td>
                    <td>
                      <Button
                        variant="secondary"
                        label={`Manage ${key.name} ${key.keyPreview}`}
                        onClick={() => setManaging(key.id)}
                      >
                        Manage
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {managed === undefined ? null : (
        <KeyActions
          key={managed.id}
          apiKey={managed}
          own={isOwn(managed, apiKey)}
          now={now}
          call={call}
          act={act}
          onShown={onShown}
          onApiKey={onApiKey}
          onStatus={setStatus}
          onClose={() => setManaging(undefined)}
        />
      )}
    </>
  );
}

interface KeyActionsProps {
  apiKey: ApiKey;
  /** The key this page signed in with. */
  own: boolean;
  now: number;
  call: Call;
  act: (work: () => Promise<void>, reload?: boolean) => Promise<void>;
  onShown: (secret: Shown) => void;
  onApiKey: (apiKey: string) => void;
  onStatus: (status: string) => void;
  onClose: () => void;
}

/** Seconds from a select value, or from a custom whole number of `unitSeconds`. */
const seconds = (choice: string, custom: string, unitSeconds: number) =>
  choice === 'custom' ? Math.round(Number(custom) * unitSeconds) : Number(choice);

function KeyActions(props: KeyActionsProps) {
  const { apiKey: key, call, act, onStatus } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const [overlap, setOverlap] = useState('3600');
  const [customOverlap, setCustomOverlap] = useState('');
  const [pause, setPause] = useState('3600');
  const [customPause, setCustomPause] = useState('');
  const [confirming, setConfirming] = useState<'revoke' | 'delete'>();
  const path = `/api/v2/instance/api-keys/${key.id}`;
  const changeable = key.status === 'ACTIVE' || key.status === 'PAUSED';

  const rotate = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const rotated = await call<{ newKeyId: string; newKey: string; overlapEndDate: string }>(
        `${path}/rotate`,
        {
          method: 'POST',
          json: { overlapSeconds: seconds(overlap, customOverlap, 3600) },
        },
      );
      props.onShown({ label: `API key "${key.name}" (rotated)`, value: rotated.newKey });
      onStatus(`Key "${key.name}" rotated: the old key works until ${when(rotated.overlapEndDate)}.`);
      // The page's own key is now in its overlap, where it may only read: go on with its successor.
      if (props.own) props.onApiKey(rotated.newKey);
      props.onClose();
    }, !props.own);
  };
  const pauseKey = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const paused = await call<ApiKey>(`${path}/pause`, {
        method: 'POST',
        json: { durationSeconds: seconds(pause, customPause, 60) },
      });
      onStatus(`Key "${key.name}" paused until ${when(paused.pausedUntil)}.`);
    });
  };
  const simple = (action: 'resume' | 'revoke' | 'delete', done: string) =>
    act(async () => {
      await call(action === 'delete' ? path : `${path}/${action}`, {
        method: action === 'delete' ? 'DELETE' : 'POST',
      });
      setConfirming(undefined);
      onStatus(`Key "${key.name}" ${done}.`);
      if (action === 'delete') props.onClose();
    });

  return (
    <section class="card" aria-labelledby="manage-title">
      <h2 id="manage-title" tabIndex={-1} ref={heading}>
        Manage key {key.name}
      </h2>
      <p>
        <span class="code">{key.keyPreview}…</span> is {STATUS_TEXT[key.status]}
        {key.status === 'PENDING_ROTATION' && key.expiresAt !== null
          ? `: it keeps working for ${timeLeft(key.expiresAt, props.now)}, until ${when(key.expiresAt)}.`
          : key.status === 'PAUSED' && key.pausedUntil !== null
            ? ` until ${when(key.pausedUntil)}.`
            : '.'}
        {props.own ? ' This page is signed in with it.' : ''}
      </p>
      {changeable ? (
        <form onSubmit={rotate} aria-label={`Rotate ${key.name}`}>
          <h3>Rotate</h3>
          <div class="row">
            <SelectField label="Overlap" value={overlap} onChange={setOverlap} options={OVERLAPS} />
            {overlap === 'custom' ? (
              <Field
                label="Overlap in hours"
                type="number"
                value={customOverlap}
                onInput={setCustomOverlap}
                required
                hint="Whole hours, at most 720 (30 days)."
              />
            ) : null}
            <Button type="submit">Rotate key</Button>
          </div>
        </form>
      ) : null}
      {key.status === 'ACTIVE' ? (
        <form onSubmit={pauseKey} aria-label={`Pause ${key.name}`}>
          <h3>Pause</h3>
          <div class="row">
            <SelectField label="Pause for" value={pause} onChange={setPause} options={PAUSES} />
            {pause === 'custom' ? (
              <Field
                label="Pause in minutes"
                type="number"
                value={customPause}
                onInput={setCustomPause}
                required
                hint="Whole minutes, from 1 to 129 600 (90 days)."
              />
            ) : null}
            <Button type="submit" variant="secondary">
              Pause key
            </Button>
          </div>
        </form>
      ) : null}
      {key.status === 'PAUSED' ? (
        <>
          <h3>Resume</h3>
          <Button onClick={() => void simple('resume', 'resumed')}>Resume key</Button>
        </>
      ) : null}
      <h3>Revoke or delete</h3>
      <p class="hint">
        Revoking stops the key at once and keeps its record; deleting removes the record too.
      </p>
      {confirming === undefined ? (
        <div class="row">
          {key.status === 'REVOKED' ? null : (
            <Button variant="danger" onClick={() => setConfirming('revoke')}>
              Revoke key
            </Button>
          )}
          <Button variant="danger" onClick={() => setConfirming('delete')}>
            Delete key
          </Button>
        </div>
      ) : (
        <fieldset class="notice notice-warning confirm">
          <legend>Confirm</legend>
          <p>
            {confirming === 'revoke' ? 'Revoke' : 'Delete'} "{key.name}"? It stops working at once; this
            cannot be undone.
          </p>
          <div class="row">
            <Button
              variant="danger"
              label={`Confirm ${confirming === 'revoke' ? 'revoking' : 'deleting'} ${key.name}`}
              onClick={() => void simple(confirming, confirming === 'revoke' ? 'revoked' : 'deleted')}
            >
              {confirming === 'revoke' ? 'Yes, revoke' : 'Yes, delete'}
            </Button>
            <Button variant="secondary" onClick={() => setConfirming(undefined)}>
              Cancel
            </Button>
          </div>
        </fieldset>
      )}
      <p>
        <Button variant="secondary" onClick={props.onClose}>
          Close
        </Button>
      </p>
    </section>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
