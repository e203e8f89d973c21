import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { isCi, type TestEnv } from './env.js';

// The shape of `Result` in @portcullis/errors, spelled out: test helpers do not depend on it.
/** The Postgres to test against, or why the Postgres suites are skipped. */
export type PostgresAvailability = { ok: true; url: string } | { ok: false; reason: string };

/** Options of {@link createPostgresSchema}. */
export interface CreatePostgresSchemaOptions {
  /** Schema name prefix: lower-case letters, digits, `_`; at most 40 characters. Default `t`. */
  prefix?: string;
  /** Bound on connecting for the CREATE/DROP statements, in ms. Default 5 000. */
  connectTimeoutMs?: number;
}

/** A freshly created schema and a connection URL scoped to it. */
export interface PostgresSchema {
  /** `databaseUrl` plus `options=-c search_path=<schema>`: every connection made from it uses the schema. */
  readonly url: string;
  /** The schema name, e.g. `t_3f9c0a1b2c4d`. */
  readonly schema: string;
  /** `DROP SCHEMA … CASCADE`. Idempotent. */
  drop(): Promise<void>;
}

const PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Reads `DATABASE_URL` for the Postgres-backed suites.
 *
 * Outside CI a missing URL gives a skip reason; under `CI=true` it throws, so the test file
 * fails with a clear message instead of silently skipping (DESIGN §8).
 *
 * @param env - the environment to read; default `process.env`.
 * @throws Error under CI when `DATABASE_URL` is unset.
 * @example
 * ```ts
 * const postgres = postgresAvailability();
 * if (!postgres.ok) console.warn(`skipping Postgres suite: ${postgres.reason}`);
 * describe.runIf(postgres.ok)('on Postgres', () => {  });
 * ```
 */
export function postgresAvailability(env: TestEnv = process.env): PostgresAvailability {
  const url = env.DATABASE_URL?.trim();
  if (url) return { ok: true, url };
  if (isCi(env)) {
    throw new Error(
      'CI=true requires the Postgres suites to run, but DATABASE_URL is not set ' +
        '(for example DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres)',
    );
  }
  return { ok: false, reason: 'DATABASE_URL is not set' };
}

/** Appends `-c search_path=<schema>` to the URL's libpq `options` parameter. */
function scopeUrlToSchema(databaseUrl: string, schema: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    // Never echo the URL: it may carry a password.
    throw new Error('createPostgresSchema: databaseUrl is not a valid URL');
  }
  const existing = url.searchParams.get('options');
  const scoped = `-c search_path=${schema}`;
  url.searchParams.set('options', existing ? `${existing} ${scoped}` : scoped);
  return url.toString();
}

async function runStatement(databaseUrl: string, sql: string, connectTimeoutMs: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: connectTimeoutMs });
  // A connection error after connect() would otherwise be an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates a uniquely named, empty schema (`<prefix>_<12 hex>`) and returns a URL whose every
 * connection — including new connections a `pg.Pool` opens later — has `search_path` set to
 * it, through the libpq `options=-c search_path=…` connection parameter. This is the
 * "fresh schema per test file" fixture: tests never see each other's tables.
 *
 * Only the named schema is on the path, so unqualified names never fall through to `public`.
 *
 * @param databaseUrl - a `postgres://` URL (typically `DATABASE_URL`).
 * @param options - name prefix and connect timeout (ms).
 * @example
 * ```ts
 * const schema = await createPostgresSchema(postgres.url);
 * afterAll(() => schema.drop());
 * const db = await createDatabase({ url: schema.url });
 * ```
 */
export async function createPostgresSchema(
  databaseUrl: string,
  options: CreatePostgresSchemaOptions = {},
): Promise<PostgresSchema> {
  const prefix = options.prefix ?? 't';
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error('createPostgresSchema: prefix must match /^[a-z][a-z0-9_]{0,39}$/');
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = scopeUrlToSchema(databaseUrl, schema);
  // The name is built from a checked prefix and hex, so quoting it as an identifier is safe.
  await runStatement(databaseUrl, `CREATE SCHEMA "${schema}"`, connectTimeoutMs);

  let dropped: Promise<void> | undefined;
  return {
    url,
    schema,
    drop() {
      dropped ??= runStatement(databaseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`, connectTimeoutMs);
      return dropped;
    },
  };
}
