import { firstMatching } from '@portcullis/testing';
import { beforeAll, expect, it } from 'vitest';
import { describeCluster, type RunningApp } from './harness.js';

describeCluster(
  'failed-attempt limits on two processes sharing Redis',
  { limits: { authPer15Min: 15 }, redisPrefix: 'pc:guesses' },
  (cluster) => {
    let a: RunningApp;
    let b: RunningApp;
    beforeAll(() => {
      a = cluster.a;
      b = cluster.b;
    });

    it('gives 40 concurrent wrong admin tokens at most 15 checks, and refuses the right one while the window is spent', async () => {
      const wrong = Array.from({ length: 39 }, (_, i) =>
        fetch(`${(i % 2 === 0 ? a : b).url}/admin/instances`, {
          headers: { authorization: `Bearer wrong-token-${i}-0123456789abcdef` },
        }),
      );
      // "Last": sent once a refusal shows the budget is spent, while other attempts may be in flight.
      await firstMatching(wrong, (r) => r.status === 429);
      const right = await b.admin('/admin/instances');
      const statuses = (await Promise.all(wrong)).map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(15);
      expect(statuses.filter((s) => s === 429)).toHaveLength(24);
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).not.toBeNull();
    });
  },
);
