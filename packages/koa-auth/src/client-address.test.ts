import { listen, type Served } from '@portcullis/testing';
import fc from 'fast-check';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { clientAddress, clientAddressOf } from './client-address.js';

const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

describe('clientAddressOf', () => {
  const socket = '10.0.0.5';
  it('ignores X-Forwarded-For unless the proxy is trusted', () => {
    expect(clientAddressOf('203.0.113.7', socket, { trustProxy: false })).toBe(socket);
  });

  it('uses the right-most entry with one hop, whatever the client wrote to its left', () => {
    expect(clientAddressOf('1.2.3.4, 203.0.113.7', socket, { trustProxy: true })).toBe('203.0.113.7');
    expect(clientAddressOf('203.0.113.7', socket, { trustProxy: true, hops: 1 })).toBe('203.0.113.7');
  });

  it('uses the left-most of the right-most `hops` entries', () => {
    expect(clientAddressOf('6.6.6.6, 203.0.113.7, 198.51.100.2', socket, { trustProxy: true, hops: 2 })).toBe(
      '203.0.113.7',
    );
    expect(clientAddressOf('2001:db8::1,198.51.100.2', socket, { trustProxy: true, hops: 2 })).toBe(
      '2001:db8::1',
    );
  });

  it('falls back to the socket when any used entry is not an IP address', () => {
    for (const header of [
      'random-value',
      '203.0.113.7:8080',
      '[2001:db8::1]',
      '1.2.3.4, , 5.6.7.8',
      'unknown',
    ]) {
      expect(clientAddressOf(header, socket, { trustProxy: true, hops: 2 })).toBe(socket);
    }
    expect(clientAddressOf('203.0.113.7, garbage', socket, { trustProxy: true, hops: 1 })).toBe(socket);
    expect(clientAddressOf('', socket, { trustProxy: true })).toBe(socket);
    expect(clientAddressOf(undefined, socket, { trustProxy: true })).toBe(socket);
  });

  it('never returns a value the client chose beyond the trusted hops, whatever the header', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 50 }), { maxLength: 20 }),
        fc.ipV4(),
        (spoofed, proxySaw) => {
          const header = [...spoofed, proxySaw].join(', ');
          // The client controls everything but the last entry (what the one trusted proxy appended).
          expect(clientAddressOf(header, socket, { trustProxy: true, hops: 1 })).toBe(proxySaw);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('clientAddress middleware', () => {
  async function appWith(trustProxy: boolean, hops?: number) {
    const app = new Koa({ proxy: trustProxy });
    app.use(clientAddress({ trustProxy, ...(hops === undefined ? {} : { hops }) }));
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip };
    });
    const server = await listen(app.callback());
    served.push(server);
    return server.url;
  }
  const ipOf = async (url: string, xff?: string) =>
    (
      (await (await fetch(url, { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } })).json()) as {
        ip: string;
      }
    ).ip;

  it('sets ctx.ip from the trusted entry, not the left-most one Koa would pick', async () => {
    const url = await appWith(true);
    expect(await ipOf(url, '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
    expect(await ipOf(url, 'not-an-address')).toMatch(/127\.0\.0\.1$/);
  });

  it('keeps the socket address when the proxy is not trusted', async () => {
    const url = await appWith(false);
    expect(await ipOf(url, '203.0.113.7')).toMatch(/127\.0\.0\.1$/);
  });

  it('refuses a nonsensical hop count', () => {
    expect(() => clientAddress({ trustProxy: true, hops: 0 })).toThrow(TypeError);
  });
});
