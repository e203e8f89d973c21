import { describe, expect, it } from 'vitest';
import { readConfig } from './env.js';

describe('readConfig', () => {
  it('leaves TOKEN_FACTORY_ADDRESS unset by default (tokenization then uses its documented default)', () => {
    for (const env of [{}, { TOKEN_FACTORY_ADDRESS: '' }]) {
      const result = readConfig(env);
      expect(result.ok && result.config.tokenFactoryAddress).toBeUndefined();
    }
  });

  it('reads TOKEN_FACTORY_ADDRESS in lower case', () => {
    const result = readConfig({ TOKEN_FACTORY_ADDRESS: '0xFaCe00000000000000000000000000000000bEEF' });
    expect(result.ok && result.config.tokenFactoryAddress).toBe('0xface00000000000000000000000000000000beef');
  });

  it('refuses a TOKEN_FACTORY_ADDRESS that is not an address, with the other problems', () => {
    for (const value of ['0x1234', 'face00000000000000000000000000000000beef', `0x${'g'.repeat(40)}`]) {
      const result = readConfig({ TOKEN_FACTORY_ADDRESS: value, PORT: 'x' });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems).toContain(
        'TOKEN_FACTORY_ADDRESS must be an address: 0x and 40 hexadecimal digits',
      );
      expect(result.problems.some((problem) => problem.startsWith('PORT'))).toBe(true);
    }
  });
});
