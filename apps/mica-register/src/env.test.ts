import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegisterImportEnv } from './env.js';

describe('readRegisterImportEnv', () => {
  it('defaults to PGlite in ./.data/mica-register and the current directory', () => {
    expect(readRegisterImportEnv({})).toEqual({
      dataDir: './.data/mica-register',
      invocationDir: process.cwd(),
    });
  });

  it('reads DATABASE_URL, DATA_DIR and the directory pnpm was started from', () => {
    expect(
      readRegisterImportEnv({
        DATABASE_URL: ' postgres://db/x ',
        DATA_DIR: '/var/lib/mica',
        INIT_CWD: '/home/ops',
      }),
    ).toEqual({
      databaseUrl: 'postgres://db/x',
      dataDir: '/var/lib/mica',
      invocationDir: resolve('/home/ops'),
    });
  });

  it('treats empty values as unset', () => {
    expect(readRegisterImportEnv({ DATABASE_URL: '', DATA_DIR: ' ', INIT_CWD: '' })).toEqual({
      dataDir: './.data/mica-register',
      invocationDir: process.cwd(),
    });
  });
});
