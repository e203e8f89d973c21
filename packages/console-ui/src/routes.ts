import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { appRouter, defineRoute, type RouteKit, type RouteResponse, WRITTEN } from '@portcullis/routes';
import { z } from 'zod';
import { ASSET_PREFIX } from './build.js';

/** A built console read into memory: its page and its hashed assets by file name. */
export interface LoadedConsole {
  readonly html: Buffer;
  readonly assets: ReadonlyMap<string, { readonly body: Buffer; readonly type: string }>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The file names the asset route accepts: what `buildConsole` writes, nothing with a path in it. */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.(js|css|svg)$/;

/**
 * The strict policy of every console page: its own origin only, no inline script or style, no
 * plugins, no framing, forms and `<base>` pinned.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers of every console answer (pages and assets). */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const PAGE_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * Reads a console built by `buildConsole` (`index.html` and `assets/`) into memory, once at boot:
 * requests are then answered from memory, and no request path ever reaches the file system.
 * Throws when the directory holds no build, so a missing `pnpm build` fails at start, not per page.
 *
 * @example
 * const built = loadConsole(fileURLToPath(new URL('./console', import.meta.url)));
 */
export function loadConsole(dir: string): LoadedConsole {
  let html: Buffer;
  try {
    html = readFileSync(join(dir, 'index.html'));
  } catch (cause) {
    throw new Error(`no built console in ${dir}: run \`pnpm build\` first`, { cause });
  }
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(join(dir, 'assets'))) {
    const type = TYPES[extname(name)];
    if (type === undefined || !ASSET_NAME.test(name)) continue;
    assets.set(name, { body: readFileSync(join(dir, 'assets', name)), type });
  }
  return { html, assets };
}

/** Options of {@link consoleRoutes}. */
export interface ConsoleRoutesOptions {
  /** The built console (see {@link loadConsole}). */
  console: LoadedConsole;
  /** Paths answering the page, e.g. `['/', '/mica-register']`. */
  pages: readonly string[];
  /** The app's 404 for an asset name it does not have (thrown, rendered by the app's pipeline). */
  notFound: () => unknown;
  /** The app's documented error answers of every console route (its 500), by status. */
  errors: Readonly<Record<number, RouteResponse>>;
  /** The app's documented answer to an unknown asset name (what `notFound` renders), by status. */
  assetNotFound: Readonly<Record<number, RouteResponse>>;
  /** Headers the app adds to every answer (its request id), as zod schemas by name. */
  headers?: Readonly<Record<string, z.ZodType>>;
  /** Tag of these operations in the document. Default `Console`. */
  tag?: string;
}

const operationName = (path: string) =>
  path === '/'
    ? 'consoleHome'
    : `console${path
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((part) => part[0]?.toUpperCase() + part.slice(1))
        .join('')}`;

const literal = (value: string, description: string) => z.literal(value).meta({ description });

/**
 * The console's routes as declared routes of the app (so they appear in its OpenAPI document and
 * its tests hold them like any other): `GET` (and `HEAD`) of each page path answers the built
 * `index.html` with `Cache-Control: no-cache`; `GET /console/assets/{file}` answers a hashed
 * asset with `Cache-Control: public, max-age=31536000, immutable`, any other name the app's 404.
 * Every answer carries the strict CSP, `Referrer-Policy: no-referrer`, `nosniff` and
 * `X-Frame-Options: DENY`. Static files only: no credential is read, no API route is reached.
 *
 * @example
 * const page = consoleRoutes(kit, { console: loadConsole(dir), pages: ['/', '/mica-register'], notFound, errors });
 * app.use(page.routes());
 */
export function consoleRoutes<S>(kit: RouteKit<S>, options: ConsoleRoutesOptions): Router<S> {
  const tag = options.tag ?? 'Console';
  const security = {
    ...(options.headers ?? {}),
    'Content-Security-Policy': literal(CONSOLE_CSP, 'Own origin only; no inline script or style.'),
    'Referrer-Policy': literal('no-referrer', 'No referrer leaves the console.'),
    'X-Content-Type-Options': literal('nosniff', 'Types as sent.'),
    'X-Frame-Options': literal('DENY', 'Never framed.'),
  };
  const router = appRouter<S>();
  const send = (ctx: RouterContext<S>, body: Buffer, type: string, cacheControl: string) => {
    for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) ctx.set(name, value);
    ctx.set('Cache-Control', cacheControl);
    ctx.type = type;
    ctx.body = body;
    return WRITTEN;
  };

  for (const path of options.pages) {
    const route = defineRoute({
      method: 'get',
      path,
      operationId: operationName(path),
      summary: `The web console (${path}): an HTML page calling only the documented API routes`,
      tags: [tag],
      security: [],
      responses: {
        200: {
          description:
            'The console page. Secrets typed or shown in it stay in the page memory: a reload signs out.',
          headers: z.object({ ...security, 'Cache-Control': literal(PAGE_CACHE, 'Revalidated each time.') }),
          content: { 'text/html': { schema: z.string() } },
        },
        ...options.errors,
      },
    });
    kit.mount(router, route, (ctx) =>
      send(ctx, options.console.html, 'text/html; charset=utf-8', PAGE_CACHE),
    );
  }

  const assetRoute = defineRoute({
    method: 'get',
    path: `${ASSET_PREFIX}:file`,
    operationId: 'consoleAsset',
    summary: 'A content-hashed script, stylesheet or icon of the web console',
    tags: [tag],
    security: [],
    request: {
      params: z.object({
        file: z
          .string()
          .regex(ASSET_NAME)
          .meta({ description: 'Hashed file name, `main-<hash>.js`; any other is a 404.' }),
      }),
    },
    invalidParams: options.notFound,
    responses: {
      200: {
        description: 'The asset; its name changes with its content, so it is cached for a year.',
        headers: z.object({ ...security, 'Cache-Control': literal(ASSET_CACHE, 'Immutable.') }),
        content: {
          'text/javascript': { schema: z.string() },
          'text/css': { schema: z.string() },
          'image/svg+xml': { schema: z.string() },
        },
      },
      ...options.assetNotFound,
      ...options.errors,
    },
  });
  kit.mount(router, assetRoute, (ctx, { params }) => {
    const asset = options.console.assets.get(params.file);
    if (asset === undefined) throw options.notFound();
    return send(ctx, asset.body, asset.type, ASSET_CACHE);
  });
  return router;
}
