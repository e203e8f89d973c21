import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import {
  type BrowserSession,
  browserAvailability,
  clipboardText,
  focusedControl,
  launchBrowser,
  openSession,
  screenshotDir,
  sessionFindings,
} from './browser.js';
import type { Closable } from './shared-backends.js';

// The frame of the apps' console suites (`apps/*/test/console.browser.test.ts`): one browser and
// one app for the suite, a fresh context per flow, and the checks every console shares — how
// its page is served, what a flow must end without, and the shown-once panel by keyboard.

/** An app a console suite starts: where it listens. */
export interface ConsoleApp extends Closable {
  readonly url: string;
}

/** Options of {@link describeConsole}. */
export interface ConsoleSuiteOptions<D extends Closable, A extends ConsoleApp> {
  /** Opens the app's database (e.g. a PGlite copy), closed after the app. */
  open(): Promise<D>;
  /** Fills the database before the app starts, e.g. imports the shipped register. */
  prepare?(db: D): Promise<unknown>;
  /** Starts the app on the database. */
  start(db: D): Promise<A>;
  /**
   * The committed screenshots folder, written only with `UPDATE_SCREENSHOTS=1`; see
   * {@link screenshotDir}.
   */
  screenshots: string;
  /** Secrets that no flow may leave in the browser, besides those it passes itself (the operator token). */
  secrets?: readonly string[];
}

/** A console suite as its tests see it; see {@link describeConsole}. */
export interface ConsoleSuite<A extends ConsoleApp> {
  /** The app, started before the suite. */
  readonly app: A;
  /** Where this run's screenshots go; ends with `/`. */
  readonly screenshots: string;
  /**
   * A fresh browser context on the app ({@link openSession}), at `path` of the app when given;
   * closed after the test.
   */
  session(path?: string, viewport?: { width: number; height: number }): Promise<BrowserSession>;
  /**
   * Asserts what every flow ends with: none of `secrets` (nor the suite's) in the browser's
   * storage or URL, no serious or critical axe-core finding, no console error or CSP violation.
   */
  expectClean(session: BrowserSession, secrets: readonly string[]): Promise<void>;
}

/**
 * A suite of console flows in headless Chromium: the app and the browser started before it and
 * closed after it, each test's browser contexts closed after the test. Outside CI a missing
 * Chromium skips the suite; under `CI=true` it fails (see {@link browserAvailability}).
 *
 * @example
 * describeConsole('the console in Chromium', {
 *   open: pgliteDatabase,
 *   start: (db) => startApp({ db }),
 *   screenshots: new URL('../docs/screenshots/', import.meta.url).pathname,
 * }, (suite) => {
 *   it('signs up', async () => {
 *     const session = await suite.session('/console/');
 *     // … the flow …
 *     await suite.expectClean(session, [apiKey]);
 *   });
 * });
 */
export function describeConsole<D extends Closable, A extends ConsoleApp>(
  title: string,
  options: ConsoleSuiteOptions<D, A>,
  body: (suite: ConsoleSuite<A>) => void,
): void {
  const lookup = browserAvailability();
  const screenshots = screenshotDir(options.screenshots);
  let started: { db: D; app: A; browser: Browser } | undefined;
  const get = () => {
    if (started === undefined) throw new Error(`"${title}": the app and browser are not started`);
    return started;
  };
  const opened: BrowserSession[] = [];
  const suite: ConsoleSuite<A> = {
    get app() {
      return get().app;
    },
    screenshots,
    async session(path, viewport) {
      const { app, browser } = get();
      const session = await openSession(browser, app.url, viewport);
      opened.push(session);
      if (path !== undefined) await session.page.goto(`${app.url}${path}`);
      return session;
    },
    async expectClean(session, secrets) {
      expect(await sessionFindings(session, [...(options.secrets ?? []), ...secrets])).toEqual({
        secrets: [],
        axe: [],
        errors: [],
      });
    },
  };
  describe.skipIf(!lookup.ok)(title, () => {
    beforeAll(async () => {
      if (!lookup.ok) return;
      const db = await options.open();
      await options.prepare?.(db);
      const app = await options.start(db);
      started = { db, app, browser: await launchBrowser(lookup.executablePath) };
      await mkdir(screenshots, { recursive: true });
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((session) => session.context.close()));
    });
    afterAll(async () => {
      const running = started;
      started = undefined;
      await running?.browser.close();
      await running?.app.close();
      await running?.db.close();
    });
    body(suite);
  });
}

/**
 * Asserts how an app serves its console: each of `pages` is the console's page under the strict
 * CSP (no `unsafe-inline`, no framing), `no-referrer`, `nosniff`, `no-cache`, not rate limited,
 * with no inline script or style, and its hashed script served immutable; `POST` to it is 405;
 * an unknown asset and a path out of the assets folder are 404.
 *
 * @example
 * await expectConsoleServed(app.url, ['/console/', '/console']);
 */
export async function expectConsoleServed(origin: string, pages: readonly string[]): Promise<void> {
  for (const path of pages) {
    const res = await fetch(`${origin}${path}`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    // Public and not limited, like the API document: loading the page spends no per-address budget.
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    const script = html.match(/src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${origin}${path}`, { method: 'POST' })).status).toBe(405);
  }
  expect((await fetch(`${origin}/console/assets/main-NOPE0000.js`)).status).toBe(404);
  expect((await fetch(`${origin}/console/assets/..%2Fpackage.json`)).status).toBe(404);
}

/**
 * Asserts the keyboard focus is on the field labelled `label`, and drawn.
 *
 * @example
 * await page.keyboard.press('Tab');
 * await expectFocusOn(page, 'Email');
 */
export async function expectFocusOn(page: Page, label: string): Promise<void> {
  expect(await focusedControl(page)).toMatchObject({
    id: await page.getByLabel(label).getAttribute('id'),
    outlined: true,
  });
}

/**
 * Copies the first secret of the panel of secrets shown once with the keyboard only, as the panel
 * was just opened: focus on its heading, Tab to the secret's field, Tab to its Copy button, Enter.
 * Asserts each step's focus (drawn), the copied message and the clipboard's text.
 *
 * @example
 * await copyFirstSecretByKeyboard(page, 'API key', apiKey);
 */
export async function copyFirstSecretByKeyboard(page: Page, label: string, value: string): Promise<void> {
  expect((await focusedControl(page))?.id).toBe('secrets-title');
  for (let i = 0; i < 2; i += 1) await page.keyboard.press('Tab');
  expect(await focusedControl(page)).toMatchObject({ ariaLabel: `Copy ${label}`, outlined: true });
  await page.keyboard.press('Enter');
  await page.getByText(`${label} copied to the clipboard.`).waitFor();
  expect(await clipboardText(page)).toBe(value);
}
