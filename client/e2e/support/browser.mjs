// Launches Debian's Chromium headless through playwright-core, one fresh profile per session, and
// signs the dev proxy in as a chosen user.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { baseUrl, chromiumPath, screenshotDir } from './env.mjs';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };

/**
 * Opens a browser with an empty profile, signed in as `userName` through the dev proxy's
 * `/__dev/user/{name}` route. Returns the page and a `close` that removes the profile.
 */
export async function openSession(userName, { viewport = DESKTOP } = {}) {
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
  const close = async () => {
    await context.close();
    await rm(profileDir, { recursive: true, force: true });
  };

  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    const response = await page.goto(`${baseUrl}/__dev/user/${encodeURIComponent(userName)}`);
    if (!response || !response.ok()) {
      throw new Error(`signing in as ${userName} failed with HTTP ${response?.status()}`);
    }
    return { page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Moves to an app path inside the page, as a click on a link would. */
export async function goTo(page, appPath) {
  await page.goto(`${baseUrl}${appPath}`);
}

/** Saves a screenshot of the page as `<name>.png` in the screenshot folder, when one is set. */
export async function screenshot(page, name) {
  if (!screenshotDir) {
    return;
  }
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
