// The web console in a real browser (headless Chromium through playwright-core): each flow a
// person would follow, end to end against a started app, with the API checked behind it from the
// test. After every flow: no console error or CSP violation, no serious or critical axe-core
// violation, and no secret in localStorage, sessionStorage, cookies or the URL.
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
import { ADMIN_TOKEN, createInstance, pgliteDatabase, startApp } from './harness.js';

const KEY_SHAPE = /^trusset_[A-Za-z0-9]{8}_[0-9a-f]{64}$/;

let seq = 0;

const secretField = (page: Page, label: string) => page.getByRole('textbox', { name: label, exact: true });
const region = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

async function operatorSignIn(page: Page) {
  const form = region(page, 'Operator sign-in');
  await form.getByLabel('Operator token').fill(ADMIN_TOKEN);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Instances', exact: true }).waitFor();
}

async function keySignIn(page: Page, key: string, instanceName: string) {
  const form = region(page, 'Key dashboard sign-in');
  await form.getByLabel('Instance API key').fill(key);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: `Instance ${instanceName}` }).waitFor();
}

/** Opens a key's panel by its preview (rotation keeps the name, so names are not unique). */
async function manage(page: Page, name: string, key: string) {
  await page.getByRole('button', { name: `Manage ${name} ${key.slice(0, 20)}` }).click();
  await page.getByRole('heading', { name: `Manage key ${name}` }).waitFor();
}

/** The app the suite drives, on a PGlite copy; no flow may leave the operator token behind. */
const APP = {
  open: pgliteDatabase,
  start: (db: Database) => startApp({ db }),
  // Refreshed in the committed folder only with UPDATE_SCREENSHOTS=1 (see the README).
  screenshots: new URL('../docs/screenshots/', import.meta.url).pathname,
  secrets: [ADMIN_TOKEN],
};

describeConsole('the instance console in Chromium', APP, (suite) => {
  /** What the API answers this key on a read (200 while it authenticates). */
  const keyWorks = async (key: string) => (await suite.app.withKey(key, '/api/v2/instance')).status;

  it('serves the page at /console/ under the strict CSP, assets hashed and immutable', async () => {
    await expectConsoleServed(suite.app.url, ['/console/', '/console']);
  });

  it('operator: shows an error code, creates an instance, copies its Default key, toggles a service, archives and unarchives', async () => {
    const session = await suite.session();
    const { page } = session;
    const res = await page.goto(`${suite.app.url}/console/`);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.screenshot({ path: `${suite.screenshots}instance-signin.png`, fullPage: true });

    // A wrong token: the API's code and message, and the form stays.
    const form = region(page, 'Operator sign-in');
    await form.getByLabel('Operator token').fill('not-the-operator-token');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toMatch(/^AUTH_FAILED \S/);
    // The browser logs that refused request itself; it is the only problem so far, and expected.
    expect(session.problems.errors).toEqual([expect.stringContaining('status of 401')]);
    session.problems.errors.length = 0;

    await operatorSignIn(page);
    seq += 1;
    const name = `Browser Acme ${seq}`;
    await page.getByLabel('Instance name').fill(name);
    await page.getByLabel('Instance type').selectOption('PRODUCTION');
    await page.getByRole('button', { name: 'Create instance' }).click();
    const defaultKey = await secretField(page, `Default key of ${name}`).inputValue();
    expect(defaultKey).toMatch(KEY_SHAPE);
    await expect(page.getByText('will not be shown again').first().isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: `Copy Default key of ${name}` }).click();
    await page.getByText(`Default key of ${name} copied to the clipboard.`).waitFor();
    expect(await clipboardText(page)).toBe(defaultKey);
    expect(await keyWorks(defaultKey)).toBe(200);
    // The operator routes' headroom, read from the answers' X-RateLimit-* headers.
    await expect(page.getByText(/^Operator requests: \d+ of \d+ left/).isVisible()).resolves.toBe(true);

    // Services: off, then on again, as the API's service check says.
    const trading = page.getByRole('button', { name: `trading for ${name}`, exact: true });
    await trading.click();
    await page.getByText(`Services of "${name}" updated.`).waitFor();
    await expect(trading.getAttribute('aria-pressed')).resolves.toBe('false');
    expect((await suite.app.withKey(defaultKey, '/api/v2/services/trading')).status).toBe(403);
    await trading.click();
    await page.locator(`[aria-label="trading for ${name}"][aria-pressed="true"]`).waitFor();
    expect((await suite.app.withKey(defaultKey, '/api/v2/services/trading')).status).toBe(200);

    await page.getByRole('button', { name: `Archive ${name}` }).click();
    await page.getByText(`Instance "${name}" archived.`).waitFor();
    expect(await keyWorks(defaultKey)).toBe(401);
    await page.screenshot({ path: `${suite.screenshots}instance-operator.png`, fullPage: true });
    await page.getByRole('button', { name: `Unarchive ${name}` }).click();
    await page.getByText(`Instance "${name}" unarchived.`).waitFor();
    expect(await keyWorks(defaultKey)).toBe(200);
    await suite.expectClean(session, [defaultKey]);

    // The copied key signs in to the key dashboard.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await keySignIn(page, await clipboardText(page), name);
    const dashboard = region(page, `Instance ${name}`);
    await expect(dashboard.getByText('PRODUCTION', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(dashboard.getByText('trading: on').isVisible()).resolves.toBe(true);
    await suite.expectClean(session, [defaultKey]);

    await page.reload();
    await region(page, 'Operator sign-in').waitFor();
    expect(await page.getByRole('heading', { name: 'Instances', exact: true }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: `Instance ${name}` }).count()).toBe(0);
    await suite.expectClean(session, [defaultKey]);
  });

  it('key dashboard: creates, rotates (both keys work), pauses, resumes, revokes and deletes a key', async () => {
    const { apiKey: defaultKey } = await createInstance(suite.app, { name: 'Dashboard Co' });
    const session = await suite.session('/console/');
    const { page } = session;
    await keySignIn(page, defaultKey, 'Dashboard Co');

    await page.getByLabel('Key name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const ci = await secretField(page, 'API key "ci"').inputValue();
    expect(ci).toMatch(KEY_SHAPE);
    expect(await keyWorks(ci)).toBe(200);
    await page.getByRole('button', { name: 'Copy API key "ci"' }).click();
    expect(await clipboardText(page)).toBe(ci);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await suite.expectClean(session, [defaultKey, ci]);

    // Rotate with a one-hour overlap: the new key at once, the old one until the overlap ends.
    await manage(page, 'ci', ci);
    await page.getByLabel('Overlap', { exact: true }).selectOption('3600');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    const rotated = await secretField(page, 'API key "ci" (rotated)').inputValue();
    expect(rotated).toMatch(KEY_SHAPE);
    expect(rotated).not.toBe(ci);
    expect(await keyWorks(ci)).toBe(200);
    expect(await keyWorks(rotated)).toBe(200);
    await page.getByText(/^Key "ci" rotated: the old key works until /).waitFor();
    const oldRow = page.getByRole('row').filter({ hasText: ci.slice(0, 20) });
    // The list is read again after each change: wait for it rather than for the change's message.
    await oldRow
      .filter({ hasText: 'pending rotation' })
      .filter({ hasText: /overlap: (59 min|1 h 0 min) left/ })
      .waitFor();
    // The key-management window's headroom, read from the answers' X-RateLimit-* headers.
    await expect(page.getByText(/^Requests left this minute: \d+ of \d+ left/).isVisible()).resolves.toBe(
      true,
    );
    await page.screenshot({ path: `${suite.screenshots}instance-dashboard.png`, fullPage: true });
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await suite.expectClean(session, [defaultKey, ci, rotated]);

    // Pause the new key for an hour, then resume it.
    await manage(page, 'ci', rotated);
    await page.getByLabel('Pause for').selectOption('3600');
    await page.getByRole('button', { name: 'Pause key' }).click();
    await page.getByText(/^Key "ci" paused until /).waitFor();
    expect(await keyWorks(rotated)).toBe(401);
    const newRow = page.getByRole('row').filter({ hasText: rotated.slice(0, 20) });
    await newRow.filter({ hasText: /paused: (59 min|1 h 0 min) left/ }).waitFor();
    await page.getByRole('button', { name: 'Resume key' }).click();
    await page.getByText('Key "ci" resumed.').waitFor();
    expect(await keyWorks(rotated)).toBe(200);
    await suite.expectClean(session, [defaultKey, ci, rotated]);

    // Revoke behind a confirmation: cancel first, then confirm.
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await keyWorks(rotated)).toBe(200);
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('button', { name: 'Confirm revoking ci' }).click();
    await page.getByText('Key "ci" revoked.').waitFor();
    expect(await keyWorks(rotated)).toBe(401);
    await newRow.getByText('revoked', { exact: true }).waitFor();

    // Delete the outgoing key behind a confirmation: it stops at once and leaves the list.
    await manage(page, 'ci', ci);
    await page.getByRole('button', { name: 'Delete key' }).click();
    await page.getByRole('button', { name: 'Confirm deleting ci' }).click();
    await page.getByText('Key "ci" deleted.').waitFor();
    expect(await keyWorks(ci)).toBe(401);
    await oldRow.waitFor({ state: 'detached' });
    await suite.expectClean(session, [defaultKey, ci, rotated]);
  });

  it('key dashboard: rotating the key it signed in with goes on with the new key', async () => {
    const { apiKey: defaultKey } = await createInstance(suite.app, { name: 'Own Key Co' });
    const session = await suite.session('/console/');
    const { page } = session;
    await keySignIn(page, defaultKey, 'Own Key Co');
    await manage(page, 'Default', defaultKey);
    await page.getByLabel('Overlap', { exact: true }).selectOption('0');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    const rotated = await secretField(page, 'API key "Default" (rotated)').inputValue();
    expect(await keyWorks(defaultKey)).toBe(401);
    expect(await keyWorks(rotated)).toBe(200);
    // The list is read again with the new key: it is the page's key now.
    const newRow = page.getByRole('row').filter({ hasText: rotated.slice(0, 20) });
    await newRow.getByText('(this page)').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await suite.expectClean(session, [defaultKey, rotated]);
  });

  it('creates a key with the keyboard only, focus visible on every control it reaches', async () => {
    const { apiKey: defaultKey } = await createInstance(suite.app, { name: 'Keyboard Co' });
    const session = await suite.session('/console/');
    const { page } = session;
    await page.getByRole('heading', { name: 'Key dashboard sign-in' }).waitFor();
    // Operator token field, then (its Sign in is disabled while empty) the key field.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expectFocusOn(page, 'Instance API key');
    await page.keyboard.type(defaultKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Instance Keyboard Co' }).waitFor();

    const nameField = await page.getByLabel('Key name').getAttribute('id');
    let reached = false;
    for (let presses = 0; presses < 20 && !reached; presses += 1) {
      await page.keyboard.press('Tab');
      const focused = await focusedControl(page);
      expect(focused?.outlined).toBe(true);
      reached = focused?.id === nameField;
    }
    expect(reached).toBe(true);
    await page.keyboard.type('kbd');
    await page.keyboard.press('Tab');
    expect(await focusedControl(page)).toMatchObject({ outlined: true });
    await page.keyboard.press('Enter');
    const created = await secretField(page, 'API key "kbd"').inputValue();
    expect(await keyWorks(created)).toBe(200);
    // Focus moves to the new key's heading; then the key's field, then its copy button.
    await copyFirstSecretByKeyboard(page, 'API key "kbd"', created);
    await suite.expectClean(session, [defaultKey, created]);
  });

  it('fits a 360 px wide screen without horizontal scrolling, signed out and in both views', async () => {
    const session = await suite.session('/console/', { width: 360, height: 780 });
    const { page } = session;
    expect(await scrollsHorizontally(page)).toBe(false);
    await operatorSignIn(page);
    await page.getByLabel('Instance name').fill('Narrow Co');
    await page.getByRole('button', { name: 'Create instance' }).click();
    const defaultKey = await secretField(page, 'Default key of Narrow Co').inputValue();
    expect(await scrollsHorizontally(page)).toBe(false);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await keySignIn(page, defaultKey, 'Narrow Co');
    await page.getByRole('cell', { name: 'Default' }).first().waitFor();
    expect(await scrollsHorizontally(page)).toBe(false);
    await manage(page, 'Default', defaultKey);
    expect(await scrollsHorizontally(page)).toBe(false);
    await page.screenshot({ path: `${suite.screenshots}instance-mobile.png`, fullPage: false });
    await suite.expectClean(session, [defaultKey]);
  });
});
