// The admin page for a user listed in ADMIN_USERS (scripts/e2e.sh lists carol@example.com).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openSession, screenshot } from '../support/browser.mjs';

test('admin sees the orphaned records', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('carol@example.com');
  try {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Orphaned records' }).waitFor();
    const table = page.getByTestId('orphan-table');
    const empty = page.getByTestId('no-orphans');
    await table.or(empty).waitFor();
    assert.equal(await page.locator('[role="alert"]').count(), 0);

    await page.getByRole('button', { name: 'Run a dry run' }).click();
    const summary = page.getByLabel('Dry run summary');
    await summary.waitFor();
    const text = await summary.textContent();
    assert.match(text, /"dry_run": true/);
    assert.match(text, /"users_purged": \d+/);
    assert.match(text, /"user_preferences": \d+/);
    await screenshot(page, 'admin');
  } finally {
    await close();
  }
});
