import { mergeConfig } from 'vitest/config';
import { portcullisVitestConfig } from '../../vitest.shared.js';

// The app serves its built web console: the tests build one first (test/console-setup.ts), so
// `pnpm test` needs no prior `pnpm build`.
export default mergeConfig(portcullisVitestConfig(import.meta.dirname), {
  test: { globalSetup: ['./test/console-setup.ts'] },
});
