import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

const lines = (text: string) => text.split('\n');

describe('metrics', () => {
  it('renders counters and gauges in the Prometheus text format', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const requests = metrics.counter('http_things_total', 'Things', ['method', 'status']);
    requests.inc('GET', '200');
    requests.labels('GET', '200').inc();
    requests.inc('POST', '4"0\\1\n');
    metrics.gauge('cache_size', 'Entries', () => 7);
    const text = await metrics.render();
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        '# HELP http_things_total Things',
        '# TYPE http_things_total counter',
        'http_things_total{method="GET",status="200"} 2',
        // Escaped as the exposition format requires: a label value cannot break out of its quotes.
        'http_things_total{method="POST",status="4\\"0\\\\1\\n"} 1',
        '# TYPE cache_size gauge',
        'cache_size 7',
      ]),
    );
  });

  it('counts growth between scrapes exactly once', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const hits = metrics.counter('hits_total', 'Hits', []).labels();
    hits.inc();
    await metrics.render();
    hits.inc(2);
    expect(await metrics.render()).toContain('hits_total 3');
    expect(await metrics.render()).toContain('hits_total 3');
  });

  it('renders a histogram with cumulative buckets, +Inf, sum and count', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const latency = metrics.histogram('op_seconds', 'Op time', ['op'], [0.1, 1]).labels('read');
    for (const value of [0.05, 0.1, 0.5, 3]) latency.observe(value);
    expect(lines(await metrics.render())).toEqual(
      expect.arrayContaining([
        '# TYPE op_seconds histogram',
        'op_seconds_bucket{op="read",le="0.1"} 2',
        'op_seconds_bucket{op="read",le="1"} 3',
        'op_seconds_bucket{op="read",le="+Inf"} 4',
        'op_seconds_sum{op="read"} 3.65',
        'op_seconds_count{op="read"} 4',
      ]),
    );
  });

  it('gives every app its own registry, with the process metrics', async () => {
    // Several apps in one process (the tests do it) must not collide on metric names.
    const first = createMetrics();
    const second = createMetrics();
    first.counter('only_here_total', 'Only in the first', []).inc();
    const text = await second.render();
    expect(text).not.toContain('only_here_total');
    for (const name of [
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
  });

  it('refuses label values that do not match the label names', () => {
    const metrics = createMetrics({ processMetrics: false });
    expect(() => metrics.counter('c_total', 'C', ['a', 'b']).inc('x')).toThrow(/expected 2 label values/);
    expect(() => metrics.histogram('h', 'H', ['le'], [1])).toThrow(/reserved/);
  });
});
