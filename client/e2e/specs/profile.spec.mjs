// The profile page, the header and the dev user switcher, on a desktop and a phone-sized screen.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { goTo, openSession, PHONE, screenshot } from '../support/browser.mjs';

test('profile shows the signed-in user', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    const identity = page.getByTestId('identity');
    await identity.waitFor();
    assert.match(await identity.textContent(), /alice@example\.com/);
    assert.match(await page.getByTestId('signed-in-user').textContent(), /Alice Example/);
    assert.match(await page.getByTestId('workspace').textContent(), /1234567890123456/);
    await page.getByText('On behalf of the user').waitFor();
    await screenshot(page, 'profile');
  } finally {
    await close();
  }
});

test('no user token shows the service principal', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('none');
  try {
    await page.getByText('Service principal: no user token was sent').waitFor();
    assert.match(await page.getByTestId('signed-in-user').textContent(), /service principal/);
  } finally {
    await close();
  }
});

test('user switcher signs in another user', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    await page.getByTestId('identity').waitFor();
    await page.getByLabel('Dev user').selectOption('bob@example.com');
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.getByTestId('signed-in-user').getByText('Bob Example').waitFor();
    assert.match(await page.getByTestId('identity').textContent(), /bob@example\.com/);
  } finally {
    await close();
  }
});

test('admin page is hidden from a non-admin', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    await goTo(page, '/admin');
    await page.getByTestId('admin-hidden').waitFor();
    const navigation = page.getByRole('navigation', { name: 'Main' });
    await navigation.getByRole('link', { name: 'Profile' }).waitFor();
    assert.equal(await navigation.getByRole('link', { name: 'Admin' }).count(), 0);
  } finally {
    await close();
  }
});

test('keyboard navigation moves focus to the page', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    await page.getByTestId('identity').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Preferences' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Preferences' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    await page.getByLabel('Key').focus();
    await page.keyboard.type('e2e.keyboard');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'value_format');
  } finally {
    await close();
  }
});

test('pages fit a 375 px wide screen', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com', { viewport: PHONE });
  try {
    await page.getByTestId('identity').waitFor();
    await screenshot(page, 'profile-phone');
    for (const path of ['/', '/preferences']) {
      await goTo(page, path);
      await page.locator('main h1').waitFor();
      await page.getByTestId('loading').first().waitFor({ state: 'detached' });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= PHONE.width, `${path} is ${width} px wide on a ${PHONE.width} px screen`);
    }
  } finally {
    await close();
  }
});
