import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { isCi, type TestEnv } from './env.js';

// The page's globals, as far as the functions evaluated in the page below use them: declared here,
// in this module only, because this package (and every package that compiles its sources) has no
// DOM library.
interface PageStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
}
interface AxeResults {
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
}
declare const window: {
  localStorage: PageStorage;
  sessionStorage: PageStorage;
  location: { href: string };
  axe: { run(context: unknown): Promise<AxeResults> };
  __reportCspViolation(text: string): void;
};
interface PageElement {
  id: string;
  getAttribute(name: string): string | null;
}
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare function getComputedStyle(element: PageElement): { outlineStyle: string };
declare const document: {
  cookie: string;
  body: PageElement;
  activeElement: PageElement | null;
  documentElement: { scrollWidth: number; clientWidth: number };
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
};

// Browser tests of the web consoles: Debian's `chromium` driven by playwright-core through its
// `executablePath` (no browser download), with what every console flow checks — console errors
// and CSP violations, axe-core's serious and critical violations, and secrets left in storage.

/** Where the browser is: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export type BrowserLookup = { ok: true; executablePath: string } | { ok: false; reason: string };

/**
 * Finds the Chromium binary. Under CI a missing browser throws (the browser suites must run there,
 * `.ci/run` installs it); elsewhere it is a reason to skip, given to `describe.skipIf`.
 *
 * @example
 * const browser = browserAvailability();
 * describe.skipIf(!browser.ok)('console in a browser', () => { … });
 */
export function browserAvailability(env: TestEnv = process.env): BrowserLookup {
  const executablePath = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(executablePath)) return { ok: true, executablePath };
  const reason = `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (isCi(env)) throw new Error(`browser tests must run under CI: ${reason}`);
  return { ok: false, reason };
}

/**
 * Launches headless Chromium from `executablePath`. `--no-sandbox`: the tests run as root in CI,
 * where Chromium's sandbox refuses to start.
 *
 * @example
 * const browser = await launchBrowser(lookup.executablePath);
 */
export async function launchBrowser(executablePath: string): Promise<Browser> {
  // Loaded here, not with this module: every suite that imports this package (and the apps'
  // global setups) would otherwise load playwright-core and axe-core, about a second, for nothing.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

/** What a page reported while a flow ran; see {@link watchPage}. */
export interface PageProblems {
  /** Console errors, uncaught exceptions and CSP violations, as text (no secret is in them). */
  readonly errors: string[];
}

/**
 * Collects every console error, uncaught exception and CSP violation of `page` (the violations
 * through a `securitypolicyviolation` listener installed before any page script runs).
 *
 * @example
 * const problems = await watchPage(page);
 * // … the flow …
 * expect(problems.errors).toEqual([]);
 */
export async function watchPage(page: Page): Promise<PageProblems> {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  await page.exposeFunction('__reportCspViolation', (text: string) => errors.push(`csp: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return { errors };
}

/** One axe-core violation, as the tests report it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page (evaluated through the driver, so the page's CSP does not apply) and
 * returns its serious and critical violations.
 *
 * @example
 * expect(await seriousAxeViolations(page)).toEqual([]);
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) {
    // axe-core is CommonJS (`export =`): imported dynamically, its exports are under `default`,
    // which its types do not say.
    const axe = (await import('axe-core')) as unknown as { default: { source: string } };
    await page.evaluate(axe.default.source);
  }
  return page.evaluate(async () => {
    const results = await window.axe.run(document);
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => String(n.target)),
      }));
  });
}

/**
 * Where in the browser any of `secrets` is kept: `localStorage`, `sessionStorage`,
 * `document.cookie` or the URL (an empty list when none is). Only the places are returned, never
 * the secrets themselves, so a failing assertion prints none.
 *
 * @example
 * expect(await secretsInBrowserStorage(page, [apiKey, token])).toEqual([]);
 */
export async function secretsInBrowserStorage(page: Page, secrets: readonly string[]): Promise<string[]> {
  const stored = await page.evaluate(() => {
    const dump = (storage: PageStorage) =>
      Array.from({ length: storage.length }, (_, i) => {
        const key = storage.key(i) ?? '';
        return `${key}=${storage.getItem(key) ?? ''}`;
      }).join('\n');
    return {
      localStorage: dump(window.localStorage),
      sessionStorage: dump(window.sessionStorage),
      cookie: document.cookie,
      url: window.location.href,
    };
  });
  const cookies = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('\n');
  const places: Record<string, string> = { ...stored, contextCookies: cookies };
  return Object.entries(places)
    .filter(([, text]) => secrets.some((secret) => secret !== '' && text.includes(secret)))
    .map(([place]) => place);
}

/**
 * Whether the page scrolls sideways: its content wider than its viewport.
 *
 * @example
 * expect(await scrollsHorizontally(page)).toBe(false);
 */
export function scrollsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/**
 * The text on the page's clipboard (the context needs the `clipboard-read` permission).
 *
 * @example
 * await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
 * expect(await clipboardText(page)).toBe(apiKey);
 */
export function clipboardText(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** The focused control of a page; see {@link focusedControl}. */
export interface FocusedControl {
  id: string;
  ariaLabel: string | null;
  /** Whether focus is drawn: the element's computed `outline-style` is not `none`. */
  outlined: boolean;
}

/**
 * The element that has the keyboard focus (`undefined` when it is the page itself), for
 * keyboard-only flows: which control the keys reached, and whether its focus is visible.
 *
 * @example
 * await page.keyboard.press('Tab');
 * expect(await focusedControl(page)).toMatchObject({ ariaLabel: 'Copy API key', outlined: true });
 */
export function focusedControl(page: Page): Promise<FocusedControl | undefined> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (element === null || element === document.body) return undefined;
    return {
      id: element.id,
      ariaLabel: element.getAttribute('aria-label'),
      outlined: getComputedStyle(element).outlineStyle !== 'none',
    };
  });
}

/**
 * Where a browser suite writes its screenshots: the committed folder `committed` when
 * `UPDATE_SCREENSHOTS=1` (refreshing the README's pictures on purpose), else a fresh temporary
 * folder, so an ordinary test run (and CI) leaves the work tree as it was. Ends with `/`.
 *
 * @example
 * const SCREENSHOTS = screenshotDir(new URL('../docs/screenshots/', import.meta.url).pathname);
 * await page.screenshot({ path: `${SCREENSHOTS}signup.png` });
 */
export function screenshotDir(committed: string, env: TestEnv = process.env): string {
  if (env.UPDATE_SCREENSHOTS === '1') return committed.endsWith('/') ? committed : `${committed}/`;
  return `${mkdtempSync(join(tmpdir(), 'portcullis-screenshots-'))}/`;
}

/** One browser context on an app: its page and what the page reported (see {@link watchPage}). */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

/**
 * A fresh context (no storage shared with any other) with clipboard access for `origin`, one page,
 * watched from the start: what a console flow runs in.
 *
 * @example
 * const session = await openSession(browser, app.url, { width: 360, height: 800 });
 * await session.page.goto(`${app.url}/console/`);
 */
export async function openSession(
  browser: Browser,
  origin: string,
  viewport: { width: number; height: number } = { width: 1100, height: 900 },
): Promise<BrowserSession> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  const problems = await watchPage(page);
  return { context, page, problems };
}

/**
 * What every console flow must end without: where a secret was found in the browser's storage
 * or URL, serious or critical axe-core findings, console errors and CSP violations. All three
 * empty is a clean flow.
 *
 * @example
 * expect(await sessionFindings(session, [apiKey])).toEqual({ secrets: [], axe: [], errors: [] });
 */
export async function sessionFindings(session: BrowserSession, secrets: readonly string[]) {
  return {
    secrets: await secretsInBrowserStorage(session.page, secrets),
    axe: await seriousAxeViolations(session.page),
    errors: [...session.problems.errors],
  };
}
