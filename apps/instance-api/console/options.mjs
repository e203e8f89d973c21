// How this app's console is built: shared by `pnpm build` (build.mjs) and the tests' global setup.
/** @param {string} outDir */
export const consoleBuildOptions = (outDir) => ({
  entry: new URL('./main.tsx', import.meta.url).pathname,
  outDir,
  title: 'Instance API console',
});
