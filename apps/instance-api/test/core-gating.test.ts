// SPEC §4.2, §4.5: every route of a core service answers 403 SERVICE_NOT_ENABLED while the
// instance has the service off, before its body or parameters are looked at, and works again as
// soon as the operator turns it on — on every process, within the invalidation bound (§8).
import { describe, expect, it } from 'vitest';
import { SERVICES, type Service } from '../src/domain.js';
import { coreOperations } from './core-fixture.js';
import {
  createInstance,
  describeCluster,
  errorEnvelope,
  itemAt,
  type RunningApp,
  useApp,
} from './harness.js';

/** The tag each core service's routes carry in the document. */
const TAG_SERVICE: Record<string, Service> = {
  Customers: 'customers',
  Custody: 'custody',
  Tokenization: 'tokenization',
  Trading: 'trading',
  Lending: 'lending',
};

/** Values for every path parameter of the core routes: well formed, naming nothing. */
const PARAMS: Record<string, string> = {
  customerId: `cus_${'f'.repeat(24)}`,
  customerRef: `cus_${'f'.repeat(24)}`,
  tokenAddress: `0x${'f'.repeat(40)}`,
  account: `0x${'e'.repeat(40)}`,
  id: `ob_${'f'.repeat(24)}`,
  orderId: `ord_${'f'.repeat(24)}`,
  marketId: `mkt_${'f'.repeat(24)}`,
};

interface CoreOperation {
  method: string;
  path: string;
  service: Service;
}

/** Every documented operation of a core service, with its parameters filled in. */
async function coreRequests(app: RunningApp): Promise<CoreOperation[]> {
  return (await coreOperations(app)).map(({ method, template, tag }) => {
    const service = TAG_SERVICE[tag];
    if (service === undefined) throw new Error(`no service for the tag ${tag} of ${template}`);
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = PARAMS[name];
      if (value === undefined) throw new Error(`no value for {${name}} of ${template}`);
      return value;
    });
    return { method, path, service };
  });
}

function send(app: RunningApp, key: string, operation: CoreOperation): Promise<Response> {
  return app.withKey(key, operation.path, {
    method: operation.method,
    // A body that fails every schema: the gate must answer before it is read.
    ...(operation.method === 'GET' || operation.method === 'HEAD' ? {} : { json: { bogus: true } }),
  });
}

async function expectGated(res: Response, service: Service, where: string) {
  expect(res.status, where).toBe(403);
  const body = await errorEnvelope(res);
  expect([body.error.code, body.error.details], where).toEqual(['SERVICE_NOT_ENABLED', { service }]);
}

describe('the service gate on every core route (one process)', () => {
  const app = useApp();

  it('documents routes of all five services', async () => {
    const operations = await coreRequests(app);
    expect(new Set(operations.map((o) => o.service))).toEqual(new Set(SERVICES));
    expect(operations.length).toBe(41);
  });

  it('answers 403 SERVICE_NOT_ENABLED on every route of every service an instance has off', async () => {
    const { apiKey } = await createInstance(app, { name: 'Nothing on', services: [] });
    for (const operation of await coreRequests(app)) {
      await expectGated(
        await send(app, apiKey, operation),
        operation.service,
        `${operation.method} ${operation.path}`,
      );
    }
  });

  it('lets through exactly the routes of the services an instance has on', async () => {
    for (const service of SERVICES) {
      const { apiKey } = await createInstance(app, { name: `Only ${service}`, services: [service] });
      for (const operation of await coreRequests(app)) {
        const res = await send(app, apiKey, operation);
        const where = `${service}: ${operation.method} ${operation.path}`;
        if (operation.service === service) {
          expect(res.status, where).not.toBe(403);
          expect(res.status, where).toBeLessThan(500);
        } else {
          await expectGated(res, operation.service, where);
        }
      }
    }
  });
});

describe('the per-key limit on the core routes (SPEC §4.6)', () => {
  const app = useApp({
    limits: { keyPerMin: 5, ipPerMin: 10_000, keyMgmtPerMin: 10_000, authPer15Min: 10_000 },
  });

  it('counts every core route, under every base path, against its key, and refuses past the limit with 429', async () => {
    const { apiKey } = await createInstance(app);
    const operations = (await coreRequests(app)).filter((o) => o.method === 'GET');
    // One GET of each base path, then more: the sixth request of the key in the window is refused.
    const bases = ['/customers/', '/api/v2/custody/', '/stocks/', '/orderbooks/', '/lending-stocks/'];
    const probes = bases.map((base) => {
      const operation = operations.find((o) => o.path.startsWith(base));
      if (operation === undefined) throw new Error(`no GET route under ${base}`);
      return operation;
    });
    const remaining: string[] = [];
    for (const operation of probes) {
      const res = await send(app, apiKey, operation);
      expect(res.status, operation.path).toBeLessThan(429);
      expect(res.headers.get('x-ratelimit-limit'), operation.path).toBe('5');
      remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    for (const operation of probes) {
      const refused = await send(app, apiKey, operation);
      expect(refused.status, operation.path).toBe(429);
      expect((await errorEnvelope(refused)).error.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Another key of another instance has its own budget.
    const other = await createInstance(app);
    expect((await send(app, other.apiKey, itemAt(probes, 0))).status).toBeLessThan(429);
  });
});

describeCluster('the service gate on two processes', {}, (cluster) => {
  it('applies each service turned off and on by the operator on A to the next requests on B within 100 ms', async () => {
    const inst = await createInstance(cluster.a);
    const operations = await coreRequests(cluster.a);
    const probe = (service: Service) => {
      const operation = operations.find((o) => o.service === service && o.method === 'GET');
      if (operation === undefined) throw new Error(`no GET route of ${service}`);
      return () => send(cluster.b, inst.apiKey, operation);
    };
    const setServices = async (services: readonly Service[]) => {
      const res = await cluster.a.admin(`/admin/instances/${inst.id}`, {
        method: 'PATCH',
        json: { services },
      });
      expect(res.status).toBe(200);
      return performance.now();
    };
    /** Polls B until `done(status)`, at most 1 s; returns the status and the ms it took. */
    const until = async (
      request: () => Promise<Response>,
      done: (status: number) => boolean,
      since: number,
    ) => {
      let status = (await request()).status;
      while (!done(status) && performance.now() - since < 1000) status = (await request()).status;
      return { status, ms: performance.now() - since };
    };

    for (const service of SERVICES) {
      const request = probe(service);
      // Warm B's cache with the service on.
      expect((await request()).status, service).not.toBe(403);
      expect((await request()).status, service).not.toBe(403);

      const offAt = await setServices(SERVICES.filter((s) => s !== service));
      const off = await until(request, (status) => status === 403, offAt);
      expect(off.status, `${service} off`).toBe(403);
      expect(off.ms, `${service} off`).toBeLessThan(100);

      const onAt = await setServices(SERVICES);
      const on = await until(request, (status) => status !== 403, onAt);
      expect(on.status, `${service} on`).not.toBe(403);
      expect(on.ms, `${service} on`).toBeLessThan(100);
    }
  });
});
