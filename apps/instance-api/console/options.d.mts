import type { BuildConsoleOptions } from '@portcullis/console-ui';

/** This app's console build, into `outDir`. */
export declare const consoleBuildOptions: (outDir: string) => BuildConsoleOptions;
