// Global setup of this app's tests: its web console built once per run into a temporary
// directory, for every test file's app to serve (see consoleGlobalSetup).
import { buildConsole } from '@portcullis/console-ui';
import { consoleGlobalSetup } from '@portcullis/testing';
import { consoleBuildOptions } from '../console/options.mjs';

export default consoleGlobalSetup('mica-console-', (dir) => buildConsole(consoleBuildOptions(dir)));
