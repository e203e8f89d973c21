import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from './ports.js';
import { type RedisServerHandle, redisAvailability, startRedis } from './redis.js';

const redis = redisAvailability();
if (!redis.ok) console.warn(`[@portcullis/testing] skipping redis-server tests: ${redis.reason}`);

/** A client that fails fast instead of queueing while the server is away. */
function fastFailingClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    commandTimeout: 300,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
}

async function pingOnce(url: string): Promise<string> {
  const client = fastFailingClient(url);
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.ping();
  } finally {
    client.disconnect();
  }
}

describe.runIf(redis.ok)('startRedis', () => {
  const bin = redis.ok ? redis.bin : 'redis-server';
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedis({ bin });
  });
  afterAll(() => server?.stop());

  it('starts a private server on a loopback port other than the shared 6379', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    await expect(pingOnce(server.url)).resolves.toBe('PONG');
  });

  it('runs without persistence', async () => {
    const client = new Redis(server.url, { lazyConnect: true });
    try {
      await client.connect();
      await expect(client.config('GET', 'save')).resolves.toEqual(['save', '']);
      await expect(client.config('GET', 'appendonly')).resolves.toEqual(['appendonly', 'no']);
    } finally {
      client.disconnect();
    }
  });

  it('makes commands time out while paused and answer again after resume', async () => {
    const client = new Redis(server.url, { lazyConnect: true, commandTimeout: 200 });
    client.on('error', () => {});
    try {
      await client.connect();
      await expect(client.ping()).resolves.toBe('PONG');
      server.pause();
      try {
        await expect(client.ping()).rejects.toThrow(/timed out/i);
      } finally {
        server.resume();
      }
      await expect(client.ping()).resolves.toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('kills the server, then restarts an empty one on the same port that clients reconnect to', async () => {
    const client = new Redis(server.url, { lazyConnect: true, retryStrategy: () => 50 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.set('before-crash', '1');

      await server.kill();
      await expect(pingOnce(server.url)).rejects.toThrow(/ECONNREFUSED|Connection is closed/);

      const portBefore = server.port;
      await server.restart();
      expect(server.port).toBe(portBefore);
      // The long-lived client reconnects by itself; its queued command then runs.
      await expect(client.ping()).resolves.toBe('PONG');
      await expect(client.get('before-crash')).resolves.toBeNull();
    } finally {
      client.disconnect();
    }
  });

  it('restarts a running server in place', async () => {
    await server.restart();
    await expect(pingOnce(server.url)).resolves.toBe('PONG');
  });

  it('stops idempotently and refuses to pause or restart afterwards', async () => {
    const own = await startRedis({ bin });
    await expect(pingOnce(own.url)).resolves.toBe('PONG');
    await Promise.all([own.stop(), own.stop()]);
    await own.stop();
    await expect(pingOnce(own.url)).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
    expect(() => own.pause()).toThrow(/not running/);
    await expect(own.restart()).rejects.toThrow(/stopped/);
  });

  it('fails with the server output when the binary cannot start, within the start timeout', async () => {
    const port = await getFreePort();
    await expect(startRedis({ bin: '/nonexistent/redis-server', startTimeoutMs: 5_000 })).rejects.toThrow(
      /redis-server \(\/nonexistent\/redis-server\).*exited with code 127/s,
    );
    // Nothing was left listening on the port we happened to probe.
    await expect(pingOnce(`redis://127.0.0.1:${port}`)).rejects.toThrow();
  });
});
