// Preference isolation: each user lists the preferences they saved and never another user's.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { goTo, openSession, screenshot } from '../support/browser.mjs';

async function addPreference(page, key, value) {
  await goTo(page, '/preferences');
  await page.getByLabel('Key').fill(key);
  await page.getByLabel('Text').check();
  await page.getByLabel('Value', { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Save preference' }).click();
  await page.getByTestId('preference-table').getByText(key).waitFor();
}

async function visibleKeys(page) {
  await goTo(page, '/preferences');
  const table = page.getByTestId('preference-table');
  await table.waitFor();
  return table.locator('tbody th').allTextContents();
}

test('users see only their own preferences', { timeout: 90_000 }, async () => {
  const suffix = Date.now().toString(36);
  const aliceKey = `e2e.alice.${suffix}`;
  const bobKey = `e2e.bob.${suffix}`;
  const alice = await openSession('alice@example.com');
  const bob = await openSession('bob@example.com');
  try {
    await addPreference(alice.page, aliceKey, 'dark');
    await addPreference(bob.page, bobKey, 'light');

    const aliceKeys = await visibleKeys(alice.page);
    const bobKeys = await visibleKeys(bob.page);
    assert.ok(aliceKeys.includes(aliceKey), `Alice's list ${aliceKeys} lacks ${aliceKey}`);
    assert.ok(!aliceKeys.includes(bobKey), `Alice's list shows Bob's ${bobKey}`);
    assert.ok(bobKeys.includes(bobKey), `Bob's list ${bobKeys} lacks ${bobKey}`);
    assert.ok(!bobKeys.includes(aliceKey), `Bob's list shows Alice's ${aliceKey}`);
    await screenshot(alice.page, 'preferences');
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('preference can be edited as JSON and deleted', { timeout: 60_000 }, async () => {
  const key = `e2e.edit.${Date.now().toString(36)}`;
  const { page, close } = await openSession('carol@example.com');
  try {
    await addPreference(page, key, 'first');

    await page.getByRole('button', { name: `Edit ${key}` }).click();
    await page.getByLabel('JSON').check();
    await page.getByLabel('Value', { exact: true }).fill('{"columns": 3}');
    await page.getByRole('button', { name: 'Save preference' }).click();
    const row = page.getByTestId('preference-table').locator('tr', { hasText: key });
    await row.getByText('{"columns":3}').waitFor();

    await page.getByRole('button', { name: `Delete ${key}` }).click();
    await page.getByRole('button', { name: `Confirm delete of ${key}` }).click();
    await page.getByText(`Deleted ${key}.`).waitFor();
    await row.waitFor({ state: 'detached' });
  } finally {
    await close();
  }
});

test('invalid JSON is reported before saving', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('carol@example.com');
  try {
    await goTo(page, '/preferences');
    await page.getByLabel('Key').fill('e2e.invalid');
    await page.getByLabel('JSON').check();
    await page.getByLabel('Value', { exact: true }).fill('{not json');
    await page.getByRole('button', { name: 'Save preference' }).click();
    await page.getByText('The value is not valid JSON').waitFor();
  } finally {
    await close();
  }
});
