import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from './build.js';
import { loadConsole } from './routes.js';

let root: string;
beforeAll(async () => {
  // Inside this package's node_modules, so the bundle resolves `preact` as an app's would.
  root = await mkdtemp(join(import.meta.dirname, '..', 'node_modules', '.console-ui-test-'));
  await writeFile(join(root, 'style.css'), 'body { color: #111; }\n');
  await writeFile(
    join(root, 'main.tsx'),
    "import { render } from 'preact';\nimport { Button } from './components.js';\nimport './style.css';\nrender(<Button>Hi</Button>, document.body);\n",
  );
  await writeFile(
    join(root, 'components.ts'),
    `export { Button } from '${join(import.meta.dirname, 'components', 'index.tsx')}';\n`,
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('buildConsole', () => {
  it('writes content-hashed script, stylesheet and icon, and an index.html with no inline script or style', async () => {
    const outDir = join(root, 'out');
    const built = await buildConsole({ entry: join(root, 'main.tsx'), outDir, title: 'T <&>' });
    expect(built.script).toMatch(/^main-[A-Z0-9]{8}\.js$/);
    expect(built.stylesheet).toMatch(/^main-[A-Z0-9]{8}\.css$/);
    expect(built.icon).toMatch(/^icon-[0-9a-f]{8}\.svg$/);
    expect((await readdir(join(outDir, 'assets'))).sort()).toEqual(
      [built.script, built.stylesheet, built.icon].sort(),
    );
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    expect(html).toContain(`<script type="module" src="/console/assets/${built.script}"></script>`);
    expect(html).toContain(`href="/console/assets/${built.stylesheet}"`);
    expect(html).toContain('<title>T &#60;&#38;&#62;</title>');
    expect(html).not.toMatch(/<style|\sstyle=|<script>/);
    // The shared components' styles are bundled into the one stylesheet.
    expect(await readFile(join(outDir, 'assets', built.stylesheet), 'utf8')).toContain('focus-visible');

    const loaded = loadConsole(outDir);
    expect(loaded.html.toString('utf8')).toBe(html);
    expect([...loaded.assets.keys()].sort()).toEqual([built.script, built.stylesheet, built.icon].sort());
    expect(loaded.assets.get(built.script)?.type).toBe('text/javascript; charset=utf-8');
  });

  it('gives the same names for the same sources, and refuses to load a directory without a build', async () => {
    const a = await buildConsole({ entry: join(root, 'main.tsx'), outDir: join(root, 'a'), title: 'T' });
    const b = await buildConsole({ entry: join(root, 'main.tsx'), outDir: join(root, 'b'), title: 'T' });
    expect(a).toEqual(b);
    expect(() => loadConsole(join(root, 'missing'))).toThrow(/run `pnpm build` first/);
  });
});
