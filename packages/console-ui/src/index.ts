export type { BuildConsoleOptions, BuiltConsole } from './build.js';
export { ASSET_PREFIX, buildConsole } from './build.js';
export type { ConsoleRoutesOptions, LoadedConsole } from './routes.js';
export { CONSOLE_CSP, CONSOLE_SECURITY_HEADERS, consoleRoutes, loadConsole } from './routes.js';
