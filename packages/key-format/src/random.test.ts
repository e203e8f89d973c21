import { describe, expect, it } from 'vitest';
import type { RandomByteSource } from './random.js';
import { randomString } from './random.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Hands out the given bytes in order, however many are asked for. */
function scriptedSource(bytes: readonly number[]): RandomByteSource {
  let next = 0;
  return (size) => {
    const chunk = Uint8Array.from(bytes.slice(next, next + size));
    next += chunk.length;
    if (chunk.length === 0) throw new Error('scripted source exhausted');
    return chunk;
  };
}

describe('randomString', () => {
  it('maps accepted bytes to symbols by remainder', () => {
    expect(randomString(4, ALPHABET, scriptedSource([0, 25, 26, 35]))).toBe('az09');
  });

  it('rejects bytes 252 to 255, which would bias the first 4 symbols of a 36-symbol alphabet', () => {
    expect(randomString(3, ALPHABET, scriptedSource([252, 253, 254, 255, 36, 251, 1]))).toBe('a9b');
  });

  it('draws every symbol exactly equally often when fed every byte value once', () => {
    const all = Array.from({ length: 256 }, (_, i) => i);
    const out = randomString(252, ALPHABET, scriptedSource(all));
    const counts = new Map<string, number>();
    for (const c of out) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    expect(new Set(counts.values())).toEqual(new Set([7]));
  });

  it('asks the source again when a batch runs out of accepted bytes', () => {
    const sizes: number[] = [];
    const bytes = [255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 7, 8];
    const inner = scriptedSource(bytes);
    const out = randomString(2, ALPHABET, (size) => {
      sizes.push(size);
      return inner(size);
    });
    expect(out).toBe('hi');
    expect(sizes.length).toBeGreaterThan(1);
  });
});
