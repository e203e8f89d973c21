import { describe, expect, it } from 'vitest';
import { connectAppRedis, lineSink } from './app-clients.js';
import { redisAvailability, startRedis } from './redis.js';

const available = redisAvailability();

describe('lineSink', () => {
  it('collects every chunk as a line of text', async () => {
    const lines: string[] = [];
    const sink = lineSink(lines);
    await new Promise<void>((resolve) => sink.write('one\n', () => resolve()));
    await new Promise<void>((resolve) => sink.write(Buffer.from('two\n'), () => resolve()));
    expect(lines).toEqual(['one\n', 'two\n']);
  });
});

describe('connectAppRedis', () => {
  it('gives no connections without a URL', async () => {
    const none = await connectAppRedis(undefined);
    expect([none.redis, none.subscriber]).toEqual([undefined, undefined]);
    none.disconnect();
  });

  it.runIf(available.ok)('opens two working connections and drops them', async () => {
    if (!available.ok) return;
    const server = await startRedis({ bin: available.bin });
    try {
      const pair = await connectAppRedis(server.url);
      expect(await pair.redis?.ping()).toBe('PONG');
      expect(await pair.subscriber?.ping()).toBe('PONG');
      pair.disconnect();
      // Without an offline queue a command on a dropped connection is refused, not queued.
      await expect(pair.redis?.ping()).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });

  it.runIf(available.ok)('times a command out on a paused server when given a command timeout', async () => {
    if (!available.ok) return;
    const server = await startRedis({ bin: available.bin });
    const pair = await connectAppRedis(server.url, { commandTimeoutMs: 300 });
    try {
      server.pause();
      await expect(pair.redis?.get('k')).rejects.toThrow(/timed out/i);
    } finally {
      server.resume();
      pair.disconnect();
      await server.stop();
    }
  });
});
