// The catalog browser against the default workspace fixture: Bob may use `main` and `samples`,
// and only Alice may read `finance`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { goTo, openSession, screenshot } from '../support/browser.mjs';

/** Reads every page of the catalog list and returns the names shown. */
async function allCatalogNames(catalogs) {
  const loadMore = catalogs.getByRole('button', { name: 'Load more catalogs' });
  const loading = catalogs.getByTestId('loading');
  for (let pages = 0; pages < 20; pages += 1) {
    await loading.waitFor({ state: 'detached' });
    if ((await loadMore.count()) === 0) {
      return catalogs.locator('.select-item').allTextContents();
    }
    await loadMore.click();
  }
  throw new Error('the catalog list still had more pages after 20 reads');
}

test('catalog browser walks down to columns', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('bob@example.com');
  try {
    await goTo(page, '/catalog');
    const catalogs = page.getByRole('region', { name: 'Catalogs' });
    await catalogs.getByRole('button', { name: 'main', exact: true }).click();
    const names = await allCatalogNames(catalogs);
    assert.ok(names.includes('samples'), `Bob's catalogs ${names} lack samples`);
    assert.ok(!names.includes('finance'), `Bob's catalogs ${names} include finance`);

    await page.getByRole('region', { name: 'Schemas in main' }).getByRole('button', { name: 'sales' }).click();
    await page.getByRole('region', { name: 'Tables in main.sales' }).getByRole('button', { name: 'orders' }).click();
    const columns = page.getByTestId('column-table');
    await columns.waitFor();
    assert.match(await columns.textContent(), /order_id/);
    assert.match(page.url(), /catalog=main&schema=sales&table=orders/);
    await screenshot(page, 'catalog');
  } finally {
    await close();
  }
});

test('unreadable catalog shows the permission message', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('bob@example.com');
  try {
    await goTo(page, '/catalog');
    await page.getByLabel('Open by name').fill('finance');
    await page.getByRole('button', { name: 'Open', exact: true }).click();

    const notice = page.locator('[data-error-code="PERMISSION_DENIED"]');
    await notice.waitFor();
    const text = await notice.textContent();
    assert.match(text, /Permission denied/);
    assert.match(text, /USE CATALOG/);
    assert.match(text, /finance/);
    assert.notEqual(await notice.getByTestId('correlation-id').count(), 0);
    await screenshot(page, 'catalog-permission-denied');
  } finally {
    await close();
  }
});

test('same catalog opens for a user with access', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    await goTo(page, '/catalog?catalog=finance');
    await page.getByRole('region', { name: 'Schemas in finance' }).getByRole('button', { name: 'reporting' }).waitFor();
    assert.equal(await page.locator('[role="alert"]').count(), 0);
  } finally {
    await close();
  }
});
