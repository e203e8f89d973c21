// `pnpm build` of this app: bundles the console into dist/console (hashed files and index.html),
// next to the compiled server that serves them.
import { buildConsole } from '@portcullis/console-ui';
import { consoleBuildOptions } from './options.mjs';

await buildConsole(consoleBuildOptions(new URL('../dist/console', import.meta.url).pathname));
