import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../catalog.js';
import { instanceApiErrors, instanceAuthErrors } from '../catalogs/instance.js';
import { micaAuthErrors, micaDeveloperErrors } from '../catalogs/mica.js';
import { credentialEndpointErrors, tokenEndpointErrors } from '../catalogs/oauth.js';
import { rateLimitErrors } from '../catalogs/rate-limit.js';
import { tcsApiErrors, tcsApiKeyErrors } from '../catalogs/tcs.js';
import { CodedError } from '../coded-error.js';
import { HTTP_ERROR_STATUSES } from '../status.js';
import type { RenderedError } from './common.js';
import { renderOAuth } from './oauth.js';
import { renderTcs } from './tcs.js';
import { renderTrusset } from './trusset.js';

const catalogs: Catalog<string>[] = [
  instanceAuthErrors,
  instanceApiErrors,
  rateLimitErrors,
  micaAuthErrors,
  micaDeveloperErrors,
  tcsApiKeyErrors,
  tcsApiErrors,
  tokenEndpointErrors,
  credentialEndpointErrors,
];

// Values of every shape JavaScript code might throw or attach: bigints, cycles-free nesting, maps,
// typed arrays, null-prototype objects, boxed values, sparse arrays.
const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 3,
});

const options = fc.record(
  {
    message: fc.string({ unit: 'binary' }),
    details: anyValue,
    headers: fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })),
    cause: anyValue,
    retryAfterSeconds: fc.double(),
  },
  { requiredKeys: [] },
);

const catalogError = fc
  .tuple(fc.constantFrom(...catalogs), fc.nat(), options)
  .map(([catalog, index, opts]) => catalog.error(catalog.codes[index % catalog.codes.length] ?? '', opts));

const directError = fc
  .record({
    code: fc.string({ unit: 'binary' }),
    status: fc.constantFrom(...HTTP_ERROR_STATUSES),
    message: fc.string({ unit: 'binary' }),
    expose: fc.boolean(),
  })
  .chain((init) => options.map((opts) => new CodedError({ ...opts, ...init })));

const plainError = fc.string({ unit: 'binary' }).map((message) => new Error(message));

const thrown = fc.oneof(anyValue, catalogError, directError, plainError);

const meta = fc.record(
  { requestId: fc.string(), timestamp: fc.string(), instanceId: fc.string() },
  { requiredKeys: ['requestId', 'timestamp'] },
);

const oauthOptions = fc.record(
  {
    scheme: fc.constantFrom('DPoP' as const, 'Bearer' as const),
    algs: fc.array(fc.string({ unit: 'binary' })),
    realm: fc.string({ unit: 'binary' }),
  },
  { requiredKeys: [] },
);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

function expectWellFormed(out: RenderedError<unknown>): void {
  expect(out.status).toBeGreaterThanOrEqual(400);
  expect(out.status).toBeLessThanOrEqual(599);
  expect(HTTP_ERROR_STATUSES).toContain(out.status);
  expect(typeof JSON.stringify(out.body)).toBe('string');
  for (const [name, value] of Object.entries(out.headers)) {
    expect(name).toMatch(TOKEN);
    expect(value).toMatch(FIELD_VALUE);
  }
}

describe('renderers under arbitrary thrown values', () => {
  it('renderTrusset never throws and returns a 4xx/5xx with a JSON body and valid headers', () => {
    fc.assert(
      fc.property(
        thrown,
        meta,
        fc.constantFrom('INTERNAL_ERROR' as const, 'AUTH_ERROR' as const),
        (err, m, code) => {
          expectWellFormed(renderTrusset(err, m, { internalCode: code }));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('renderOAuth never throws and returns a 4xx/5xx with a JSON body and valid headers', () => {
    fc.assert(
      fc.property(thrown, oauthOptions, (err, opts) => {
        const out = renderOAuth(err, opts);
        expectWellFormed(out);
        expect(out.headers['cache-control']).toBe('no-store');
        expect(out.headers['www-authenticate'] !== undefined).toBe(out.status === 401);
      }),
      { numRuns: 1000 },
    );
  });

  it('renderTcs never throws and returns a 4xx/5xx with a JSON body and valid headers', () => {
    fc.assert(
      fc.property(thrown, (err) => {
        const out = renderTcs(err);
        expectWellFormed(out);
        expect(out.body.statusCode).toBe(out.status);
      }),
      { numRuns: 1000 },
    );
  });

  it('never puts the message of a plain Error or an unexposed coded error in any response', () => {
    const secret = fc.string({ minLength: 8 }).map((s) => `SECRET-${s}`);
    const hidden = fc.oneof(
      secret.map((s) => new Error(s)),
      secret.map((s) => instanceApiErrors.error('INTERNAL_ERROR', { message: s, details: s, cause: s })),
      secret.map((s) => new CodedError({ code: 'X', status: 401, message: s, details: s, expose: false })),
    );
    fc.assert(
      fc.property(hidden, (err) => {
        const rendered = [
          renderTrusset(err, { requestId: 'r', timestamp: 't' }),
          renderOAuth(err),
          renderTcs(err),
        ];
        for (const out of rendered) {
          expect(out.status).toBe(500);
          expect(JSON.stringify(out)).not.toContain('SECRET-');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
