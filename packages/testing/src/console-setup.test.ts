import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleGlobalSetup } from './console-setup.js';

describe('consoleGlobalSetup', () => {
  it('builds into a fresh temporary directory, provides its path, and removes it at teardown', async () => {
    const provided = new Map<string, string>();
    const setup = consoleGlobalSetup('console-setup-test-', async (outDir) => {
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, 'index.html'), '<!doctype html>');
    });
    const teardown = await setup({ provide: (key, value) => provided.set(key, value) });

    const dir = provided.get('consoleDir') ?? '';
    expect(dirname(dirname(dir))).toBe(tmpdir());
    expect(basename(dirname(dir))).toMatch(/^console-setup-test-/);
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toBe('<!doctype html>');
    await teardown();
    expect(existsSync(dirname(dir))).toBe(false);
  });

  it('removes its directory and fails the run when the build fails', async () => {
    let outDir = '';
    const setup = consoleGlobalSetup('console-setup-test-', async (dir) => {
      outDir = dir;
      await mkdir(dir, { recursive: true });
      throw new Error('no stylesheet');
    });
    await expect(setup({ provide: () => undefined })).rejects.toThrow('no stylesheet');
    expect(outDir).not.toBe('');
    expect(existsSync(dirname(outDir))).toBe(false);
  });
});
