import type { RequestListener } from 'node:http';
import type { Writable } from 'node:stream';
import { afterAll, expect } from 'vitest';
import { lineSink } from './app-clients.js';
import { readJson } from './http.js';
import { type CheckedDocument, type ResponseCheck, responseCheck } from './openapi-responses.js';

/** Options of {@link auditApps}. */
export interface AppAuditOptions {
  /** Secrets known before any app starts (the operator token). */
  secrets?: readonly string[];
  /**
   * What this app's secrets look like (global regular expressions): every match in an answer is
   * noted as issued, and any match in a log line is a leak, issued or made up by a test.
   */
  secretPatterns?: readonly RegExp[];
  /**
   * JSON field names whose string values in an answer are secrets (`managementToken`), at any
   * depth: for secrets with no distinctive shape.
   */
  secretFields?: readonly string[];
  /** Statuses a request no operation describes may get; see `responseCheck`. Default 404, 405. */
  undocumentedStatuses?: readonly number[];
}

/** One app under audit; see {@link AppAudit.watch}. */
export interface WatchedApp {
  /** The app's handler, wrapped: every answer checked and scanned for issued secrets. */
  readonly handler: RequestListener;
  /** Loads the document the app serves at `${baseUrl}/openapi.json`: call once it listens. */
  useDocument(baseUrl: string): Promise<void>;
}

/** The audit of every app one test file starts; see {@link auditApps}. */
export interface AppAudit {
  /** Where the apps' loggers write: every line is kept for the leak check. */
  logDestination(): Writable;
  /** Every secret of the file: add those a test creates itself (a password, a token). */
  readonly secrets: Set<string>;
  /** Wraps one app's request handler. */
  watch(handler: RequestListener): WatchedApp;
}

/**
 * The checks every app test file gets from its harness, asserted after the file's tests whichever
 * of them ran (so no test depends on another having run): every answer of every app the file
 * started matches the OpenAPI document that app serves (`responseCheck`), at least one answer was
 * checked and one log line written when an app ran, and no log line holds a secret — one issued
 * in an answer, one the test noted, or anything shaped like the app's secrets. Call it once at the
 * top level of a harness module: it registers the file's `afterAll`.
 *
 * @example
 * const audit = auditApps({ secrets: [ADMIN_TOKEN], secretPatterns: [/trusset_[A-Za-z0-9]{8}_[0-9a-f]{64}/g] });
 * const logger = createLogger({ app: 'x', level: 'debug', destination: audit.logDestination() });
 * const app = audit.watch(createApp(deps).callback());
 * const served = await listen(app.handler);
 * await app.useDocument(served.url);
 */
export function auditApps(options: AppAuditOptions = {}): AppAudit {
  const logs: string[] = [];
  const secrets = new Set(options.secrets ?? []);
  const patterns = options.secretPatterns ?? [];
  const checks: ResponseCheck[] = [];
  const fields = new Set(options.secretFields ?? []);
  const matches = (text: string) => patterns.flatMap((pattern) => text.match(pattern) ?? []);
  const collectFields = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) collectFields(item);
    else if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) {
        if (fields.has(name) && typeof inner === 'string') secrets.add(inner);
        else collectFields(inner);
      }
    }
  };

  afterAll(() => {
    expect(checks.flatMap((check) => check.problems)).toEqual([]);
    if (checks.length > 0) {
      expect(checks.reduce((sum, check) => sum + check.checked, 0)).toBeGreaterThan(0);
      // Apps log at debug level in tests, a line per request: an empty capture is a broken sink.
      expect(logs.length).toBeGreaterThan(0);
    }
    const leaked = logs.flatMap((line) => [
      ...matches(line),
      ...[...secrets].filter((secret) => line.includes(secret)),
    ]);
    expect(leaked).toEqual([]);
  });

  return {
    secrets,
    logDestination: () => lineSink(logs),
    watch(handler) {
      const check = responseCheck({
        ...(options.undocumentedStatuses === undefined
          ? {}
          : { undocumentedStatuses: options.undocumentedStatuses }),
        onAnswer: (answer) => {
          if (answer.body.length === 0) return;
          const text = answer.body.toString('utf8');
          for (const secret of matches(text)) secrets.add(secret);
          if (fields.size > 0 && String(answer.headers['content-type'] ?? '').includes('json')) {
            try {
              collectFields(JSON.parse(text));
            } catch {
              // Not JSON after all: its shape-matched secrets are noted above.
            }
          }
        },
      });
      checks.push(check);
      return {
        handler: check.wrap(handler),
        async useDocument(baseUrl) {
          check.use(await readJson<CheckedDocument>(await fetch(`${baseUrl}/openapi.json`)));
        },
      };
    },
  };
}
