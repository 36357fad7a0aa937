// Settings of an end-to-end run, passed in by scripts/e2e.sh. Every URL must be a loopback address:
// the tests never send traffic anywhere else.

import path from 'node:path';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function loopbackUrl(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is missing: run the end-to-end tests through scripts/e2e.sh`);
  }
  const url = new URL(value);
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`${name} must point at a loopback address, got ${url.hostname}`);
  }
  return url.origin;
}

/** The app server under test, e.g. http://127.0.0.1:41234. */
export const baseUrl = loopbackUrl('E2E_BASE_URL');

/** The workspace emulator behind it, for its control plane. */
export const emulatorUrl = loopbackUrl('E2E_EMULATOR_URL');

/** Folder the screenshots go to; none are taken when it is unset. */
export const screenshotDir = process.env.E2E_SCREENSHOT_DIR ? path.resolve(process.env.E2E_SCREENSHOT_DIR) : null;

/** The Chromium binary, Debian's by default. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
