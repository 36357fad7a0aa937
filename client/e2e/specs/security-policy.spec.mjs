// The app's pages under its Content-Security-Policy, and a form on another origin that tries to
// save a preference with the signed-in user's cookie.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openSession } from '../support/browser.mjs';
import { baseUrl, emulatorUrl } from '../support/env.mjs';

const PAGES = ['/', '/preferences', '/catalog', '/models', '/admin'];

test('pages load without policy violations', { timeout: 120_000 }, async () => {
  const { page, close } = await openSession('carol@example.com');
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  try {
    for (const path of PAGES) {
      const response = await page.goto(`${baseUrl}${path}`);
      assert.ok(response, `no response for ${path}`);
      assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'/, path);
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await page.waitForLoadState('networkidle');
    }
    assert.deepEqual(violations, []);
  } finally {
    await close();
  }
});

test('API docs page renders every operation offline under its policy', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  const violations = [];
  const outside = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  page.on('request', (request) => {
    const { hostname } = new URL(request.url());
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname) && !request.url().startsWith('data:')) {
      outside.push(request.url());
    }
  });
  try {
    const document = await (await fetch(`${baseUrl}/openapi.json`)).json();
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
    assert.ok(operations.length > 10, `only ${operations.length} operations documented`);

    const response = await page.goto(`${baseUrl}/docs/`);
    assert.equal(response?.status(), 200);
    await page.locator('.opblock').first().waitFor();
    assert.equal(await page.locator('.opblock').count(), operations.length);
    assert.deepEqual(violations, []);
    assert.deepEqual(outside, [], 'the docs page loaded nothing from another host');
  } finally {
    await close();
  }
});

test('form on another origin cannot save a preference', { timeout: 60_000 }, async () => {
  const { page, close } = await openSession('alice@example.com');
  try {
    // The emulator listens on another port, so its pages are another origin (same site).
    await page.goto(`${emulatorUrl}/__emulator/calls`);
    await page.setContent(
      `<form method="post" action="${baseUrl}/api/preferences" enctype="text/plain">` +
        `<input name='{"preference_key":"forged","preference_value":"x","pad":"' value='"}'>` +
        '</form>',
    );
    const [response] = await Promise.all([
      page.waitForResponse(`${baseUrl}/api/preferences`),
      page.evaluate(() => document.forms[0].submit()),
    ]);
    assert.equal(response.status(), 403);
    assert.equal((await response.json()).error_code, 'CSRF_REJECTED');

    const check = await page.goto(`${baseUrl}/api/preferences/forged`);
    assert.equal(check?.status(), 404, 'the forged preference was not saved');
  } finally {
    await close();
  }
});
