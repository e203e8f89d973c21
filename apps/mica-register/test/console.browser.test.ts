// The web console in a real browser (headless Chromium through playwright-core): each flow a
// person would follow, end to end against a started app, with the API checked behind it. After
// every flow: no console error or CSP violation, no serious or critical axe-core violation, and
// no secret in localStorage, sessionStorage, cookies or the URL.
import type { Database } from '@portcullis/db';
import {
  clipboardText,
  copyFirstSecretByKeyboard,
  describeConsole,
  expectConsoleServed,
  expectFocusOn,
  focusedControl,
  scrollsHorizontally,
} from '@portcullis/testing';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { importFiles, SHIPPED_SNAPSHOT_DIR } from '../src/store/register.js';
import { bearer, body, pgliteDatabase, startApp } from './harness.js';

const KEY_SHAPE = /^trusset_mica_[0-9a-f]{48}$/;
const TOKEN_SHAPE = /^[0-9a-f]{64}$/;

let seq = 0;

const secretField = (page: Page, label: string | RegExp) => page.getByRole('textbox', { name: label });

/** Signs up through the form and returns the secrets shown once. */
async function signUp(page: Page): Promise<{ apiKey: string; token: string }> {
  seq += 1;
  await page.getByLabel('Name').fill('Ada Browser');
  await page.getByLabel('Email').fill(`ada${seq}.${process.pid}@example.com`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Copy your new secrets now' }).waitFor();
  return {
    apiKey: await secretField(page, 'API key').inputValue(),
    token: await secretField(page, 'Management token').inputValue(),
  };
}

/** The app the suite drives, on a PGlite copy of the shipped register, with room for every flow. */
const APP = {
  open: pgliteDatabase,
  prepare: async (db: Database) => {
    const report = await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now: Date.now });
    expect(report.errors).toEqual([]);
  },
  start: (db: Database) => startApp({ db, limits: { perMinute: 10_000, perDay: 100_000 } }),
  // Refreshed in the committed folder only with UPDATE_SCREENSHOTS=1 (see the README).
  screenshots: new URL('../docs/screenshots/', import.meta.url).pathname,
};

describeConsole('the MiCA console in Chromium', APP, (suite) => {
  const keyWorks = async (apiKey: string) =>
    (await suite.app.request('/api/mica/v1/issuers?limit=1', { headers: { 'x-api-key': apiKey } })).status;
  const tokenWorks = async (token: string) =>
    (await suite.app.request('/api/mica/developer/keys', { headers: bearer(token) })).status;

  it('serves the page at / and /mica-register under the strict CSP, assets hashed and immutable', async () => {
    await expectConsoleServed(suite.app.url, ['/', '/mica-register']);
  });

  it('signs up, copies the key that then works on the API, browses and filters the register, and a reload signs out', async () => {
    const session = await suite.session();
    const { page } = session;
    const res = await page.goto(`${suite.app.url}/mica-register`);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.screenshot({ path: `${suite.screenshots}mica-signup.png`, fullPage: true });
    const { apiKey, token } = await signUp(page);
    expect(apiKey).toMatch(KEY_SHAPE);
    expect(token).toMatch(TOKEN_SHAPE);
    await expect(page.getByText('will not be shown again').first().isVisible()).resolves.toBe(true);

    await page.getByRole('button', { name: 'Copy API key' }).click();
    await page.getByText('API key copied to the clipboard.').waitFor();
    expect(await clipboardText(page)).toBe(apiKey);
    expect(await keyWorks(apiKey)).toBe(200);
    await page.getByRole('button', { name: 'Copy Management token' }).click();
    expect(await clipboardText(page)).toBe(token);
    expect(await tokenWorks(token)).toBe(200);
    await page.screenshot({ path: `${suite.screenshots}mica-secrets.png`, fullPage: true });
    await suite.expectClean(session, [apiKey, token]);
    await page.getByRole('button', { name: 'I have stored them' }).click();

    // Filters: CASP in Germany, as the API counts them.
    const expected = await body<{ pagination: { total: number } }>(
      await suite.app.request('/api/mica/v1/issuers?licenseType=CASP&country=DE&limit=1', {
        headers: { 'x-api-key': apiKey },
      }),
    );
    expect(expected.pagination.total).toBeGreaterThan(0);
    await page.getByLabel('Licence type').selectOption('CASP');
    await page.getByLabel('Country').selectOption('DE');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const status = page.locator('#results-status');
    await status.filter({ hasText: `of ${expected.pagination.total} entities` }).waitFor();
    await page.screenshot({ path: `${suite.screenshots}mica-register.png`, fullPage: true });
    await suite.expectClean(session, [apiKey, token]);

    // Paging over everything, then a search, then an entity's detail.
    await page.getByLabel('Licence type').selectOption('');
    await page.getByLabel('Country').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await status.filter({ hasText: 'Showing 1–20 of' }).waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await status.filter({ hasText: 'Showing 21–40 of' }).waitFor();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await status.filter({ hasText: 'Showing 1–20 of' }).waitFor();
    const first = page.locator('tbody button.link').first();
    const name = (await first.textContent()) ?? '';
    await first.click();
    await page.getByRole('heading', { name }).waitFor();
    await expect(page.getByText('Passported to').isVisible()).resolves.toBe(true);
    await expect(page.getByText('Services').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: `${suite.screenshots}mica-entity.png`, fullPage: true });
    await suite.expectClean(session, [apiKey, token]);
    await page.getByRole('button', { name: 'Back to results' }).click();
    await page.getByRole('heading', { name: 'Browse the register' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Create a developer account' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Your API keys' }).count()).toBe(0);
    await suite.expectClean(session, [apiKey, token]);
  });

  it('rotates the key (the old one is refused by the API) and the management token, creates and revokes a key', async () => {
    const session = await suite.session('/');
    const { page } = session;
    const { apiKey, token } = await signUp(page);
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await page.getByRole('button', { name: 'Rotate default' }).click();
    await page.getByText('Key "default" rotated').waitFor();
    const rotated = await secretField(page, 'API key "default"').inputValue();
    expect(rotated).toMatch(KEY_SHAPE);
    expect(rotated).not.toBe(apiKey);
    expect(await keyWorks(apiKey)).toBe(401);
    expect(await keyWorks(rotated)).toBe(200);
    await page.getByRole('button', { name: 'I have stored them' }).click();

    await page.getByLabel('Key name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const created = await secretField(page, 'API key "ci"').inputValue();
    expect(await keyWorks(created)).toBe(200);
    await page.getByRole('button', { name: 'Revoke ci' }).click();
    await page.getByRole('button', { name: 'Confirm revoking ci' }).click();
    await page.getByText('Key "ci" revoked.').waitFor();
    expect(await keyWorks(created)).toBe(401);
    await page.getByRole('button', { name: 'I have stored them' }).click();

    await page.getByRole('button', { name: 'Rotate management token' }).click();
    const newToken = await secretField(page, 'Management token').inputValue();
    expect(newToken).toMatch(TOKEN_SHAPE);
    expect(await tokenWorks(token)).toBe(401);
    expect(await tokenWorks(newToken)).toBe(200);
    // The page goes on with the new token: its key list still loads.
    await page.getByText('Management token rotated').waitFor();
    await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
    await page.screenshot({ path: `${suite.screenshots}mica-keys.png`, fullPage: true });
    await suite.expectClean(session, [apiKey, token, rotated, created, newToken]);
  });

  it('completes sign-up with the keyboard only, focus visible on every control it reaches', async () => {
    const session = await suite.session('/mica-register');
    const { page } = session;
    seq += 1;
    await page.keyboard.press('Tab');
    await expectFocusOn(page, 'Name');
    await page.keyboard.type('Key Board');
    await page.keyboard.press('Tab');
    await expectFocusOn(page, 'Email');
    await page.keyboard.type(`keys${seq}.${process.pid}@example.com`);
    await page.keyboard.press('Tab');
    expect(await focusedControl(page)).toMatchObject({ outlined: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Copy your new secrets now' }).waitFor();
    const apiKey = await secretField(page, 'API key').inputValue();
    expect(await keyWorks(apiKey)).toBe(200);
    const token = await secretField(page, 'Management token').inputValue();
    // Focus moves to the secrets' heading; then the key's field, then its copy button.
    await copyFirstSecretByKeyboard(page, 'API key', apiKey);
    await suite.expectClean(session, [apiKey, token]);
  });

  it('fits a 360 px wide screen without horizontal scrolling, signed out and signed in', async () => {
    const session = await suite.session('/mica-register', { width: 360, height: 780 });
    const { page } = session;
    expect(await scrollsHorizontally(page)).toBe(false);
    const { apiKey, token } = await signUp(page);
    expect(await scrollsHorizontally(page)).toBe(false);
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await page.locator('#results-status').waitFor();
    expect(await scrollsHorizontally(page)).toBe(false);
    await page.screenshot({ path: `${suite.screenshots}mica-mobile.png`, fullPage: false });
    await suite.expectClean(session, [apiKey, token]);
  });
});
