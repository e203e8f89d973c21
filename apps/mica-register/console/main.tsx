// The MiCA Register's web console: sign-up, key management with the management token, and a
// register browser with an API key. It calls only the documented API routes of its own origin;
// secrets live in this page's memory (component state) and nowhere else, so a reload signs out.
import {
  ApiError,
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
import { useEffect, useRef, useState } from 'preact/hooks';

interface DeveloperKey {
  id: string;
  keyPrefix: string;
  keyHint: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  requestCount: number;
  isActive: boolean;
}
interface KeyListing {
  developer: { id: string; email: string; name: string };
  keys: DeveloperKey[];
  limits: { perMinute: number; perDay: number; maxKeys: number };
}
interface Registered {
  developer: { id: string; email: string; name: string };
  apiKey: string;
  managementToken: string;
}
interface CreatedKey {
  id: string;
  apiKey: string;
  name: string;
  replacedKeyId?: string;
}
interface Issuer {
  id: string;
  entityName: string | null;
  entityIdentifier: string | null;
  licenseType: string;
  entityType: string;
  country: string | null;
  countryCode: string | null;
  nationalAuthority: string | null;
  commercialName: string | null;
  address: string | null;
  website: string | null;
  authorizationDate: string | null;
  authorizationEndDate: string | null;
  services: string[];
  passportedCountries: string[];
  status: string;
  comments: string | null;
}
interface Page<T> {
  data: T[];
  pagination: { total: number; returned: number; limit: number; offset: number; hasMore: boolean };
}

const API = '/api/mica';
const PAGE_SIZE = 20;
const LICENSE_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any licence type'],
  ['CASP', 'CASP: crypto-asset service provider'],
  ['EMT', 'EMT: e-money token issuer'],
  ['ART', 'ART: asset-referenced token issuer'],
  ['OTHER', 'OTHER: white paper'],
  ['NON_COMPLIANT', 'Non-compliant entity'],
];

/** Does `key` (a listing row) describe the full key `apiKey`? Prefix and last four agree. */
const describes = (key: DeveloperKey, apiKey: string | undefined) =>
  apiKey?.startsWith(key.keyPrefix) === true && apiKey.endsWith(key.keyHint);

const date = (iso: string | null) => (iso === null ? '—' : iso.slice(0, 10));

function App() {
  const [apiKey, setApiKey] = useState<string>();
  const [token, setToken] = useState<string>();
  const secrets = useShownSecrets();
  const signedIn = apiKey !== undefined || token !== undefined;
  return (
    <ConsoleShell
      title="MiCA Register developer console"
      keptInPage="Your API key and management token"
      signedIn={signedIn}
      onSignOut={() => {
        setApiKey(undefined);
        setToken(undefined);
      }}
      secrets={secrets}
      secretsTitle="Copy your new secrets now"
      secretsDone="I have stored them"
    >
      {signedIn ? null : (
        <>
          <SignUp
            onRegistered={(registered) => {
              setApiKey(registered.apiKey);
              setToken(registered.managementToken);
              secrets.show(
                { label: 'API key', value: registered.apiKey },
                { label: 'Management token', value: registered.managementToken },
              );
            }}
          />
          <SignIn
            onSignIn={(key, managementToken) => {
              setApiKey(key);
              setToken(managementToken);
            }}
          />
        </>
      )}
      {token === undefined ? null : (
        <Keys token={token} apiKey={apiKey} onShown={secrets.show} onApiKey={setApiKey} onToken={setToken} />
      )}
      {apiKey === undefined ? null : <Register apiKey={apiKey} />}
    </ConsoleShell>
  );
}

function SignUp({ onRegistered }: { onRegistered: (registered: Registered) => void }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onRegistered(
        await apiRequest<Registered>(`${API}/developer/register`, { method: 'POST', json: { name, email } }),
      );
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="signup-title">
      <h2 id="signup-title">Create a developer account</h2>
      <form onSubmit={(event) => void submit(event)}>
        <Field label="Name" value={name} onInput={setName} required maxLength={200} autoComplete="name" />
        <Field
          label="Email"
          type="email"
          value={email}
          onInput={setEmail}
          required
          maxLength={254}
          autoComplete="email"
        />
        <ErrorNotice error={error} />
        <Button type="submit" disabled={busy}>
          Create account
        </Button>
      </form>
    </section>
  );
}

function SignIn({ onSignIn }: { onSignIn: (apiKey?: string, token?: string) => void }) {
  const [key, setKey] = useState('');
  const [token, setToken] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    onSignIn(key.trim() || undefined, token.trim() || undefined);
  };
  return (
    <section class="card" aria-labelledby="signin-title">
      <h2 id="signin-title">Use an existing key or management token</h2>
      <form onSubmit={submit}>
        <Field
          label="API key"
          type="password"
          value={key}
          onInput={setKey}
          hint="trusset_mica_… — to browse the register."
        />
        <Field
          label="Management token"
          type="password"
          value={token}
          onInput={setToken}
          hint="64 hex characters — to manage your keys."
        />
        <Button type="submit" disabled={key.trim() === '' && token.trim() === ''}>
          Continue
        </Button>
      </form>
    </section>
  );
}

interface KeysProps {
  token: string;
  apiKey: string | undefined;
  onShown: (secret: ShownSecret) => void;
  onApiKey: (apiKey: string) => void;
  onToken: (token: string) => void;
}

function Keys({ token, apiKey, onShown, onApiKey, onToken }: KeysProps) {
  const [listing, setListing] = useState<KeyListing>();
  const [name, setName] = useState('');
  const [confirming, setConfirming] = useState<string>();
  const [status, setStatus] = useState('');
  const auth = { authorization: `Bearer ${token}` };

  const load = async () =>
    setListing(await apiRequest<KeyListing>(`${API}/developer/keys`, { headers: auth }));
  const { error, act } = useActions(load, [token]);
  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const created = await apiRequest<CreatedKey>(`${API}/developer/keys`, {
        method: 'POST',
        headers: auth,
        json: name.trim() === '' ? {} : { name: name.trim() },
      });
      setName('');
      onShown({ label: `API key "${created.name}"`, value: created.apiKey });
      if (apiKey === undefined) onApiKey(created.apiKey);
      setStatus(`Key "${created.name}" created.`);
    });
  };
  const rotate = (key: DeveloperKey) =>
    act(async () => {
      const rotated = await apiRequest<CreatedKey>(`${API}/developer/keys/${key.id}/rotate`, {
        method: 'POST',
        headers: auth,
      });
      onShown({ label: `API key "${rotated.name}"`, value: rotated.apiKey });
      // The key this page browses with was replaced: browse with its successor.
      if (describes(key, apiKey)) onApiKey(rotated.apiKey);
      setStatus(`Key "${rotated.name}" rotated: the old key no longer works.`);
    });
  const revoke = (key: DeveloperKey) =>
    act(async () => {
      await apiRequest(`${API}/developer/keys/${key.id}`, { method: 'DELETE', headers: auth });
      setConfirming(undefined);
      setStatus(`Key "${key.name}" revoked.`);
    });
  // No reload after it: the new token's load follows, and this closure's `auth` still holds the
  // old, refused one.
  const rotateToken = () =>
    act(async () => {
      const rotated = await apiRequest<{ managementToken: string }>(
        `${API}/developer/management-token/rotate`,
        { method: 'POST', headers: auth },
      );
      onShown({ label: 'Management token', value: rotated.managementToken });
      onToken(rotated.managementToken);
      setStatus('Management token rotated: the old token no longer works.');
    }, false);

  const active = listing?.keys.filter((key) => key.isActive).length ?? 0;
  const maxKeys = listing?.limits.maxKeys ?? 3;
  return (
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">Your API keys</h2>
      {listing === undefined ? null : (
        <p>
          {listing.developer.name} ({listing.developer.email}): {active} of {maxKeys} active keys;{' '}
          {listing.limits.perMinute} requests per minute and {listing.limits.perDay} per day per key.
        </p>
      )}
      <ErrorNotice error={error} />
      <LiveStatus text={status} />
      {listing === undefined ? null : (
        <Table
          columns={['Name', 'Key', 'Status', 'Created', 'Last used', 'Requests', 'Actions']}
          caption="Keys are never shown again after creation; these are their previews."
        >
          {listing.keys.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td class="code">
                {key.keyPrefix}…{key.keyHint}
              </td>
              <td>
                <span class={`badge ${key.isActive ? 'badge-active' : 'badge-revoked'}`}>
                  {key.isActive ? 'active' : 'revoked'}
                </span>
              </td>
              <td>{date(key.createdAt)}</td>
              <td>{date(key.lastUsedAt)}</td>
              <td>{key.requestCount}</td>
              <td>
                {key.isActive ? (
                  <div class="row">
                    <Button variant="secondary" label={`Rotate ${key.name}`} onClick={() => void rotate(key)}>
                      Rotate
                    </Button>
                    {confirming === key.id ? (
                      <>
                        <Button
                          variant="danger"
                          label={`Confirm revoking ${key.name}`}
                          onClick={() => void revoke(key)}
                        >
                          Confirm revoke
                        </Button>
                        <Button variant="secondary" onClick={() => setConfirming(undefined)}>
                          Cancel
                        </Button>
                      </>
                    ) : (
                      <Button
                        variant="danger"
                        label={`Revoke ${key.name}`}
                        onClick={() => setConfirming(key.id)}
                      >
                        Revoke
                      </Button>
                    )}
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Create a key</h3>
      <form onSubmit={create}>
        <div class="row">
          <Field label="Key name" value={name} onInput={setName} maxLength={100} hint="Optional." />
          <Button type="submit" disabled={listing !== undefined && active >= maxKeys}>
            Create key
          </Button>
        </div>
      </form>
      <h3>Management token</h3>
      <p>Rotating it gives you a new token, shown once; the old one stops working at once.</p>
      <Button variant="secondary" onClick={() => void rotateToken()}>
        Rotate management token
      </Button>
    </section>
  );
}

interface Filters {
  search: string;
  licenseType: string;
  country: string;
  offset: number;
}

function Register({ apiKey }: { apiKey: string }) {
  const [draft, setDraft] = useState<Filters>({ search: '', licenseType: '', country: '', offset: 0 });
  const [filters, setFilters] = useState<Filters>(draft);
  const [page, setPage] = useState<Page<Issuer>>();
  const [countries, setCountries] = useState<ReadonlyArray<readonly [string, string]>>([['', 'Any country']]);
  const [detail, setDetail] = useState<Issuer>();
  const [error, setError] = useState<unknown>();
  const headers = { 'x-api-key': apiKey };

  useEffect(() => {
    apiRequest<{ data: Array<{ code: string; name: string; count: number }> }>(`${API}/v1/countries`, {
      headers,
    })
      .then((answer) =>
        setCountries([
          ['', 'Any country'],
          ...answer.data.map((c) => [c.code, `${c.name} (${c.count})`] as const),
        ]),
      )
      .catch(setError);
  }, [apiKey]);

  useEffect(() => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(filters.offset) });
    if (filters.search.trim() !== '') query.set('search', filters.search.trim());
    if (filters.licenseType !== '') query.set('licenseType', filters.licenseType);
    if (filters.country !== '') query.set('country', filters.country);
    apiRequest<Page<Issuer>>(`${API}/v1/issuers?${query}`, { headers })
      .then((answer) => {
        setPage(answer);
        setError(undefined);
      })
      .catch(setError);
  }, [filters, apiKey]);

  const open = (id: string) => {
    apiRequest<{ data: Issuer }>(`${API}/v1/issuers/${encodeURIComponent(id)}`, { headers })
      .then((answer) => setDetail(answer.data))
      .catch(setError);
  };

  if (detail !== undefined) return <Detail issuer={detail} onBack={() => setDetail(undefined)} />;
  const p = page?.pagination;
  return (
    <section class="card" aria-labelledby="register-title">
      <h2 id="register-title">Browse the register</h2>
      <form
        aria-label="Register search"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({ ...draft, offset: 0 });
        }}
      >
        <div class="row">
          <Field
            label="Search"
            type="search"
            value={draft.search}
            onInput={(search) => setDraft({ ...draft, search })}
            hint="Name, LEI, authority or commercial name."
            maxLength={200}
          />
          <SelectField
            label="Licence type"
            value={draft.licenseType}
            onChange={(licenseType) => setDraft({ ...draft, licenseType })}
            options={LICENSE_TYPES}
          />
          <SelectField
            label="Country"
            value={draft.country}
            onChange={(country) => setDraft({ ...draft, country })}
            options={countries}
          />
          <Button type="submit">Apply filters</Button>
        </div>
      </form>
      <ErrorNotice error={error instanceof ApiError || error instanceof Error ? error : undefined} />
      {p === undefined ? null : (
        <p role="status" aria-live="polite" id="results-status">
          {p.total === 0
            ? 'No entity matches.'
            : `Showing ${p.offset + 1}–${p.offset + p.returned} of ${p.total} entities.`}
        </p>
      )}
      {page === undefined || page.data.length === 0 ? null : (
        <Table columns={['Entity', 'Licence', 'Country', 'Status']}>
          {page.data.map((issuer) => (
            <tr key={issuer.id}>
              <td>
                <button type="button" class="link" onClick={() => open(issuer.id)}>
                  {issuer.entityName ?? issuer.commercialName ?? issuer.id}
                </button>
              </td>
              <td>{issuer.licenseType}</td>
              <td>{issuer.countryCode ?? '—'}</td>
              <td>{issuer.status}</td>
            </tr>
          ))}
        </Table>
      )}
      {p === undefined ? null : (
        <nav class="row" aria-label="Result pages">
          <Button
            variant="secondary"
            disabled={p.offset === 0}
            onClick={() => setFilters({ ...filters, offset: Math.max(0, filters.offset - PAGE_SIZE) })}
          >
            Previous page
          </Button>
          <Button
            variant="secondary"
            disabled={!p.hasMore}
            onClick={() => setFilters({ ...filters, offset: filters.offset + PAGE_SIZE })}
          >
            Next page
          </Button>
        </nav>
      )}
    </section>
  );
}

function Detail({ issuer, onBack }: { issuer: Issuer; onBack: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const rows: Array<[string, string]> = [
    ['LEI', issuer.entityIdentifier ?? '—'],
    ['Commercial name', issuer.commercialName ?? '—'],
    ['Licence type', issuer.licenseType],
    ['Entity type', issuer.entityType],
    ['Status', issuer.status],
    ['Country', issuer.country === null ? '—' : `${issuer.country} (${issuer.countryCode ?? '?'})`],
    ['National authority', issuer.nationalAuthority ?? '—'],
    ['Authorised', date(issuer.authorizationDate)],
    ['Authorisation ends', date(issuer.authorizationEndDate)],
    ['Address', issuer.address ?? '—'],
    ['Website', issuer.website ?? '—'],
    ['Services', issuer.services.length === 0 ? '—' : issuer.services.join('; ')],
    ['Passported to', issuer.passportedCountries.length === 0 ? '—' : issuer.passportedCountries.join(', ')],
    ['Comments', issuer.comments ?? '—'],
  ];
  return (
    <section class="card" aria-labelledby="detail-title">
      <h2 id="detail-title" tabIndex={-1} ref={heading}>
        {issuer.entityName ?? issuer.id}
      </h2>
      <dl class="detail">
        {rows.map(([term, value]) => (
          <>
            <dt key={`${term}-t`}>{term}</dt>
            <dd key={`${term}-d`}>{value}</dd>
          </>
        ))}
      </dl>
      <Button variant="secondary" onClick={onBack}>
        Back to results
      </Button>
    </section>
  );
}

mountConsole(<App />);
