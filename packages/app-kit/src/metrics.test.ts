import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('metrics', () => {
  it('renders counters and gauges in the Prometheus text format', () => {
    const metrics = createMetrics();
    const requests = metrics.counter('http_requests_total', 'HTTP requests', ['method', 'status']);
    requests.inc('GET', '200');
    requests.inc('GET', '200');
    requests.inc('POST', '4"0\\1');
    metrics.gauge('cache_size', 'Entries', () => 7);
    expect(metrics.render()).toBe(
      [
        '# HELP http_requests_total HTTP requests',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="GET",status="200"} 2',
        'http_requests_total{method="POST",status="4_0_1"} 1',
        '# HELP cache_size Entries',
        '# TYPE cache_size gauge',
        'cache_size 7',
        '',
      ].join('\n'),
    );
  });
});
