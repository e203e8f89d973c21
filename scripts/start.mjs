#!/usr/bin/env node
// `pnpm start`: starts every app in apps/* on embedded defaults (PGlite in .data/, no Redis).
// Once every app listens, prints one block with each app's URL and admin token, so a new user
// finds them together rather than scattered through the start-up logs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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
// through pnpm, so a stop signal reaches the servers themselves and they drain. Their standard
// output is read here: the "listening" and "admin token" lines go into the summary block, every
// other line (logs) is passed through as it comes.
const started = new Map(apps.map((name) => [name, { url: undefined, token: undefined }]));
let summarised = false;
const summarise = () => {
  if (summarised || [...started.values()].some((app) => app.url === undefined)) return;
  summarised = true;
  const width = Math.max(...apps.map((name) => name.length));
  const lines = apps.map((name) => {
    const { url, token } = started.get(name);
    const admin = token ? `admin token ${token}` : adminNote(name);
    const page = consolePath(name);
    const console = page === undefined ? '' : `\n  ${' '.repeat(width)}  web console: ${url}${page}`;
    return `  ${name.padEnd(width)}  ${url}  ${admin}${console}`;
  });
  process.stdout.write(`\nPortcullis is running:\n${lines.join('\n')}\nPress Ctrl-C to stop.\n\n`);
};
// The page of an app's web console, from its package.json (`portcullis.console`), if it has one.
const consolePath = (name) =>
  JSON.parse(readFileSync(join(appsDir, name, 'package.json'), 'utf8')).portcullis?.console;
// What to say of an app that printed no generated token: ADMIN_TOKEN was set, or it has no
// operator routes.
const adminNote = (name) => {
  const manifest = JSON.parse(readFileSync(join(appsDir, name, 'package.json'), 'utf8'));
  return manifest.portcullis?.adminToken === false
    ? '(no admin token: developer keys are self-service)'
    : '(admin token: the ADMIN_TOKEN you set)';
};

const children = apps.map((name) => {
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: join(appsDir, name),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const listening = /^(\S+) listening on (\S+)$/.exec(line);
    const token = /^(\S+) admin token \(generated for this run\): (\S+)$/.exec(line);
    if (listening && started.has(listening[1])) started.get(listening[1]).url = listening[2];
    else if (token && started.has(token[1])) started.get(token[1]).token = token[2];
    else process.stdout.write(`${line}\n`);
    summarise();
  });
  return child;
});
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
