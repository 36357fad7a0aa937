// The model playground: an invocation shows its response and lands in the caller's history only.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { goTo, openSession, screenshot } from '../support/browser.mjs';

async function historyText(page) {
  await goTo(page, '/models');
  const section = page.getByRole('region', { name: 'Your invocation history' });
  await section.getByTestId('invocation-history').or(section.getByTestId('no-invocations')).waitFor();
  return section.textContent();
}

test('invocation appears in the history', { timeout: 90_000 }, async () => {
  const alice = await openSession('alice@example.com');
  const bob = await openSession('bob@example.com');
  try {
    const { page } = alice;
    await goTo(page, '/models');
    await page.getByRole('radio', { name: /echo/ }).check();
    const body = page.getByLabel('Request body (JSON)');
    assert.match(await body.inputValue(), /dataframe_records/);
    await page.getByRole('button', { name: 'Invoke' }).click();

    const response = page.getByTestId('invocation-response');
    await response.waitFor({ timeout: 30_000 });
    const requestId = (await response.locator('dd code').first().textContent())?.trim();
    assert.ok(requestId, 'the response shows no request ID');
    assert.match(await response.textContent(), /I love this product/);

    const history = page.getByTestId('invocation-history');
    await history.getByText(requestId).waitFor();
    assert.match(await history.locator('tr', { hasText: requestId }).textContent(), /echo/);
    await screenshot(page, 'models');

    assert.ok(!(await historyText(bob.page)).includes(requestId), "Bob's history shows Alice's invocation");
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('chat endpoint gets a chat sample body', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    await goTo(page, '/models');
    await page.getByRole('radio', { name: /chat/ }).check();
    assert.match(await page.getByLabel('Request body (JSON)').inputValue(), /"messages"/);
  } finally {
    await close();
  }
});
