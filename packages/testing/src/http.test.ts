import { describe, expect, it } from 'vitest';
import { firstMatching } from './http.js';

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('firstMatching', () => {
  it('resolves with the first value that matches, not the first to settle', async () => {
    expect(await firstMatching([later(5, 200), later(20, 429), later(40, 429)], (s) => s === 429)).toBe(429);
  });

  it('resolves undefined once all settled without a match, rejections included', async () => {
    expect(
      await firstMatching([later(5, 200), Promise.reject(new Error('x'))], (s) => s === 429),
    ).toBeUndefined();
    expect(await firstMatching([], () => true)).toBeUndefined();
  });
});
