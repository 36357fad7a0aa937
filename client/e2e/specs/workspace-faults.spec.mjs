// What people see when the workspace rate-limits or slows down the identity lookup (SCIM `Me`).
// The server under test runs with IDENTITY_CACHE_TTL_SECONDS=0, so every request looks the user up.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { openSession, screenshot } from '../support/browser.mjs';
import { clearFaults, injectFault, SCIM_ME } from '../support/emulator.mjs';

const RETRY_AFTER_SECONDS = 7;
const DELAY_MS = 5_000;

afterEach(clearFaults);

async function countdownSeconds(page) {
  const text = await page.getByTestId('retry-countdown').first().textContent();
  const match = /try again in (\d+) s/.exec(text ?? '');
  assert.ok(match, `unexpected countdown text: ${text}`);
  return Number(match[1]);
}

test('rate-limited sign-in shows a countdown', { timeout: 60_000 }, async () => {
  await injectFault({
    path_prefix: SCIM_ME,
    status: 429,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    times: null,
  });
  const { page, close } = await openSession('bob@example.com');
  try {
    const notice = page.locator('[data-error-code="AUTH_RATE_LIMITED"]').first();
    await notice.waitFor();
    assert.match(await notice.textContent(), new RegExp(`Wait ${RETRY_AFTER_SECONDS} seconds`));

    const first = await countdownSeconds(page);
    assert.ok(first >= 1, `countdown starts at ${first}`);
    assert.ok(first <= RETRY_AFTER_SECONDS, `countdown starts at ${first}`);
    assert.equal(await notice.getByRole('button', { name: 'Try again' }).isDisabled(), true);
    const correlationId = await notice.getByTestId('correlation-id').textContent();
    assert.match(correlationId ?? '', /^[A-Za-z0-9._:-]{8,}$/);
    await screenshot(page, 'error-rate-limited');

    await page.waitForTimeout(2_100);
    const later = await countdownSeconds(page);
    assert.ok(later < first, `countdown went from ${first} to ${later}`);
  } finally {
    await close();
  }
});

test('slow workspace shows loading, then the data', { timeout: 60_000 }, async () => {
  await injectFault({ path_prefix: SCIM_ME, delay_ms: DELAY_MS, times: null });
  const started = Date.now();
  const { page, close } = await openSession('carol@example.com');
  try {
    await page.getByTestId('loading').first().waitFor();
    await page.getByText(/Still waiting for the server/).first().waitFor();
    await screenshot(page, 'loading-slow-workspace');

    const identity = page.getByTestId('identity');
    await identity.waitFor({ timeout: 30_000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= DELAY_MS - 500, `the data arrived after ${elapsed} ms, before the delay ended`);
    assert.match(await identity.textContent(), /carol@example\.com/);
    assert.equal(await page.locator('[role="alert"]').count(), 0);
  } finally {
    await close();
  }
});
