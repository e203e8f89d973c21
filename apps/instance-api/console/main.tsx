// The instance API's web console: an operator view (signed in with the operator token: instances,
// their services, archiving, each new instance's `Default` key shown once) and a key dashboard
// (signed in with an instance key: the instance, its keys, create, rotate, pause, resume, revoke,
// delete). It calls only the documented API routes of its own origin; the operator token and keys
// live in this page's memory (component state) and nowhere else, so a reload signs out.
import {
  type Actions,
  type ApiRequestOptions,
  apiRequest,
  Button,
  ConsoleShell,
  ErrorNotice,
  Field,
  LiveStatus,
  mountConsole,
  SelectField,
  type ShownSecret,
  Table,
  useActions,
  useShownSecrets,
} from '@portcullis/console-ui/components';
import { type Dispatch, type StateUpdater, useEffect, useRef, useState } from 'preact/hooks';
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
  const secrets = useShownSecrets();
  return (
    <ConsoleShell
      title="Instance API console"
      keptInPage="The operator token and your keys"
      signedIn={adminToken !== undefined || apiKey !== undefined}
      onSignOut={() => {
        setAdminToken(undefined);
        setApiKey(undefined);
      }}
      secrets={secrets}
      secretsTitle="Copy your new key now"
      secretsDone="I have stored it"
    >
      {adminToken === undefined ? (
        <SignInForm credential={OPERATOR_TOKEN} onSignIn={setAdminToken} />
      ) : (
        <Operator token={adminToken} onShown={secrets.show} />
      )}
      {apiKey === undefined ? (
        <SignInForm credential={INSTANCE_KEY} onSignIn={setApiKey} />
      ) : (
        <Dashboard apiKey={apiKey} onShown={secrets.show} onApiKey={setApiKey} />
      )}
    </ConsoleShell>
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

/** A credential a view signs in with, as its {@link SignInForm} asks for it. */
interface Credential {
  /** The id of the form's heading, which names its region. */
  id: string;
  title: string;
  label: string;
  hint: string;
  /** One read with the credential: it throws the API's refusal. */
  check: (secret: string) => Promise<unknown>;
}

const OPERATOR_TOKEN: Credential = {
  id: 'operator-signin-title',
  title: 'Operator sign-in',
  label: 'Operator token',
  hint: 'ADMIN_TOKEN of this deployment: lists and creates instances.',
  check: (token) => caller({ authorization: `Bearer ${token}` }, () => undefined)('/admin/instances'),
};
const INSTANCE_KEY: Credential = {
  id: 'key-signin-title',
  title: 'Key dashboard sign-in',
  label: 'Instance API key',
  hint: 'trusset_… — manages the keys of its instance.',
  check: (key) => caller({ 'x-api-key': key }, () => undefined)('/api/v2/instance'),
};

/** A sign-in form that checks its credential with one read before the view opens. */
function SignInForm({
  credential,
  onSignIn,
}: {
  credential: Credential;
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
      await credential.check(value);
      setSecret('');
      onSignIn(value);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby={credential.id}>
      <h2 id={credential.id}>{credential.title}</h2>
      <form onSubmit={(event) => void submit(event)}>
        <Field
          label={credential.label}
          type="password"
          value={secret}
          onInput={setSecret}
          required
          hint={credential.hint}
        />
        <ErrorNotice error={error} />
        <Button type="submit" disabled={busy || secret.trim() === ''}>
          Sign in
        </Button>
      </form>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Operator view
// ---------------------------------------------------------------------------------------------

type InstanceWithCounts = Instance & { keys: KeyCounts };

function Operator({ token, onShown }: { token: string; onShown: (secret: ShownSecret) => void }) {
  const [instances, setInstances] = useState<InstanceWithCounts[]>();
  const [rate, setRate] = useState<RateLimit>();
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const [type, setType] = useState('DEVELOPMENT');
  const call = caller({ authorization: `Bearer ${token}` }, setRate);

  const load = async () => setInstances(await call<InstanceWithCounts[]>('/admin/instances'));
  const { error, act } = useActions(load, [token]);

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
      <LiveStatus text={status} />
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
        <Table
          columns={['Instance', 'Type', 'Keys', 'Services', 'Status']}
          caption="Every instance, with its services and key counts."
        >
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
        </Table>
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

/**
 * A key action that takes a duration, as its {@link DurationForm} asks for it: a select of
 * durations in seconds, or a custom number of units.
 */
interface DurationAction {
  /** The form's heading, and with the key's name its accessible name: `Rotate`. */
  title: string;
  /** The select's label, and its choices as `[seconds or 'custom', text]`. */
  label: string;
  options: ReadonlyArray<readonly [string, string]>;
  /** The custom number's label and hint, shown when `custom` is chosen. */
  customLabel: string;
  customHint: string;
  /** Seconds in one custom unit. */
  unitSeconds: number;
  submitLabel: string;
  variant: 'primary' | 'secondary';
}

// A pause and an overlap offer the same periods; an overlap may also be none.
const PERIODS: ReadonlyArray<readonly [string, string]> = [
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
  ['custom', 'Custom…'],
];
const ROTATE: DurationAction = {
  title: 'Rotate',
  label: 'Overlap',
  options: [['0', 'None: the old key stops at once'], ...PERIODS],
  customLabel: 'Overlap in hours',
  customHint: 'Whole hours, at most 720 (30 days).',
  unitSeconds: 3600,
  submitLabel: 'Rotate key',
  variant: 'primary',
};
const PAUSE: DurationAction = {
  title: 'Pause',
  label: 'Pause for',
  options: PERIODS,
  customLabel: 'Pause in minutes',
  customHint: 'Whole minutes, from 1 to 129 600 (90 days).',
  unitSeconds: 60,
  submitLabel: 'Pause key',
  variant: 'secondary',
};

/**
 * Is `key` (a listing row) the key this page signed in with? Its 20-character preview starts it.
 * Keys of one instance share their first 17 characters, so a preview match is near certain but
 * not guaranteed; it only decides which key the page switches to after rotating its own.
 */
const isOwn = (key: ApiKey, apiKey: string) => apiKey.startsWith(key.keyPreview);

interface DashboardProps {
  apiKey: string;
  onShown: (secret: ShownSecret) => void;
  onApiKey: (apiKey: string) => void;
}

function Dashboard({ apiKey, onShown, onApiKey }: DashboardProps) {
  const [instance, setInstance] = useState<InstanceWithStats>();
  const [keys, setKeys] = useState<ApiKey[]>();
  const [rate, setRate] = useState<RateLimit>();
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const [managing, setManaging] = useState<string>();
  const now = useNow();
  const call = caller({ 'x-api-key': apiKey }, setRate);

  const load = async () => {
    setInstance(await call<InstanceWithStats>('/api/v2/instance'));
    setKeys(await call<ApiKey[]>('/api/v2/instance/api-keys'));
  };
  const { error, act } = useActions(load, [apiKey]);

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
        <LiveStatus text={status} />
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
          <Table
            columns={['Name', 'Preview', 'Status', 'Last used', 'Until', 'Actions']}
            caption="Keys are never shown again after creation; these are their previews."
          >
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
          </Table>
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
  act: Actions['act'];
  onShown: (secret: ShownSecret) => void;
  onApiKey: (apiKey: string) => void;
  onStatus: (status: string) => void;
  onClose: () => void;
}

/** A duration as its form holds it: the select's value (seconds, or `custom`) and the number typed. */
interface Duration {
  choice: string;
  custom: string;
}

const ONE_HOUR: Duration = { choice: '3600', custom: '' };

/** Seconds of `duration`: the chosen value, or the custom whole number of `unitSeconds`. */
const seconds = ({ choice, custom }: Duration, unitSeconds: number) =>
  choice === 'custom' ? Math.round(Number(custom) * unitSeconds) : Number(choice);

interface DurationFormProps {
  action: DurationAction;
  keyName: string;
  /** The caller's `useState` of it, so a choice outlives the form while the key's status hides it. */
  state: [Duration, Dispatch<StateUpdater<Duration>>];
  onSubmit: (seconds: number) => void;
}

/** The form of a key action that takes a duration (rotate: its overlap; pause: how long). */
function DurationForm({ action, keyName, state: [value, onChange], onSubmit }: DurationFormProps) {
  const submit = (event: Event) => {
    event.preventDefault();
    onSubmit(seconds(value, action.unitSeconds));
  };
  return (
    <form onSubmit={submit} aria-label={`${action.title} ${keyName}`}>
      <h3>{action.title}</h3>
      <div class="row">
        <SelectField
          label={action.label}
          value={value.choice}
          onChange={(choice) => onChange((held) => ({ ...held, choice }))}
          options={action.options}
        />
        {value.choice === 'custom' ? (
          <Field
            label={action.customLabel}
            type="number"
            value={value.custom}
            onInput={(custom) => onChange((held) => ({ ...held, custom }))}
            required
            hint={action.customHint}
          />
        ) : null}
        <Button type="submit" variant={action.variant}>
          {action.submitLabel}
        </Button>
      </div>
    </form>
  );
}

function KeyActions(props: KeyActionsProps) {
  const { apiKey: key, call, act, onStatus } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const overlap = useState(ONE_HOUR);
  const pause = useState(ONE_HOUR);
  const [confirming, setConfirming] = useState<'revoke' | 'delete'>();
  const path = `/api/v2/instance/api-keys/${key.id}`;
  const changeable = key.status === 'ACTIVE' || key.status === 'PAUSED';

  const rotate = (overlapSeconds: number) =>
    void act(async () => {
      const rotated = await call<{ newKeyId: string; newKey: string; overlapEndDate: string }>(
        `${path}/rotate`,
        { method: 'POST', json: { overlapSeconds } },
      );
      props.onShown({ label: `API key "${key.name}" (rotated)`, value: rotated.newKey });
      onStatus(`Key "${key.name}" rotated: the old key works until ${when(rotated.overlapEndDate)}.`);
      // The page's own key is now in its overlap, where it may only read: go on with its successor.
      if (props.own) props.onApiKey(rotated.newKey);
      props.onClose();
    }, !props.own);
  const pauseKey = (durationSeconds: number) =>
    void act(async () => {
      const paused = await call<ApiKey>(`${path}/pause`, { method: 'POST', json: { durationSeconds } });
      onStatus(`Key "${key.name}" paused until ${when(paused.pausedUntil)}.`);
    });
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
        <DurationForm action={ROTATE} keyName={key.name} state={overlap} onSubmit={rotate} />
      ) : null}
      {key.status === 'ACTIVE' ? (
        <DurationForm action={PAUSE} keyName={key.name} state={pause} onSubmit={pauseKey} />
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

mountConsole(<App />);
