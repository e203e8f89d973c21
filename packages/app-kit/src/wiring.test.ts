import { createWindowLimiter } from '@portcullis/koa-auth';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { countAuthOutcomes, countRateLimitRefusals, observeKeyCache } from './wiring.js';

const metricLines = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.render()).split('\n').filter((line) => line.startsWith(`${name}{`));

describe('observeKeyCache', () => {
  it('reports lookups by tier without overlap, and the breaker state, from the cache stats', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const stats = {
      l1Hits: 10,
      l2Hits: 4,
      l1NegativeHits: 2,
      l2NegativeHits: 1,
      loads: 3,
      breaker: 'closed',
    };
    observeKeyCache(metrics, { stats: () => stats });
    expect(await metricLines(metrics, 'key_cache_lookups_total')).toEqual([
      'key_cache_lookups_total{tier="l1"} 8',
      'key_cache_lookups_total{tier="l2"} 3',
      'key_cache_lookups_total{tier="database"} 3',
      'key_cache_lookups_total{tier="negative"} 3',
    ]);
    stats.l1Hits += 5;
    stats.breaker = 'open';
    expect(await metricLines(metrics, 'key_cache_lookups_total')).toContain(
      'key_cache_lookups_total{tier="l1"} 13',
    );
    expect(await metricLines(metrics, 'key_cache_breaker_state')).toEqual([
      'key_cache_breaker_state{state="closed"} 0',
      'key_cache_breaker_state{state="open"} 1',
      'key_cache_breaker_state{state="half-open"} 0',
      'key_cache_breaker_state{state="disabled"} 0',
    ]);
  });
});

describe('countAuthOutcomes', () => {
  it('counts each decision by scheme, reason and code', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const onOutcome = countAuthOutcomes(metrics);
    onOutcome('instance_key', 'ok', 'ok');
    onOutcome('instance_key', 'ok', 'ok');
    onOutcome('admin_token', 'refused', 'AUTH_FAILED');
    expect((await metricLines(metrics, 'auth_outcomes_total')).sort()).toEqual([
      'auth_outcomes_total{scheme="admin_token",reason="refused",code="AUTH_FAILED"} 1',
      'auth_outcomes_total{scheme="instance_key",reason="ok",code="ok"} 2',
    ]);
  });
});

describe('countRateLimitRefusals', () => {
  it('counts refusals by the limiter name, never the bucket', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const refusals = countRateLimitRefusals(metrics);
    const perIp = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 't', onRefused: refusals('ip') });
    await perIp.consume('203.0.113.9');
    await perIp.consume('203.0.113.9');
    await perIp.peek('203.0.113.9');
    const text = await metrics.render();
    expect(await metricLines(metrics, 'rate_limit_refusals_total')).toEqual([
      'rate_limit_refusals_total{limiter="ip"} 2',
    ]);
    expect(text).not.toContain('203.0.113.9');
  });
});
