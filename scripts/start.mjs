#!/usr/bin/env node
// `pnpm start`: starts every app in apps/* on embedded defaults (PGlite in .data/, no Redis).
// Each app prints its own URL and, when generated, its admin token.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const appsDir = join(import.meta.dirname, '..', 'apps');
const apps = existsSync(appsDir)
  ? readdirSync(appsDir).filter((name) => {
      const manifest = join(appsDir, name, 'package.json');
      return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.start;
    })
  : [];

if (apps.length === 0) {
  console.log('Portcullis: no app exists yet, so there is nothing to start.');
  process.exit(0);
}

// Apps run their compiled output; turbo rebuilds only what changed.
const build = spawnSync('pnpm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error('Portcullis: the build failed; run `pnpm build` to see why.');
  process.exit(build.status ?? 1);
}

// Each app's entry point is dist/server.js (its `start` script). Run node directly rather than
// through pnpm, so a stop signal reaches the servers themselves and they drain.
const children = apps.map((name) =>
  spawn(process.execPath, ['dist/server.js'], { cwd: join(appsDir, name), stdio: 'inherit' }),
);
const stop = (signal) => {
  for (const child of children) child.kill(signal);
};
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
let exited = 0;
for (const child of children) {
  child.on('exit', (code) => {
    exited += 1;
    if (code && code !== 0) process.exitCode = code;
    if (exited === children.length) process.exit();
  });
}
