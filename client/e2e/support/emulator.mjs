// The workspace emulator's control plane: fault injection for the end-to-end tests.

import { emulatorUrl } from './env.mjs';

/** SCIM `Me`, which the app calls to verify every user token. */
export const SCIM_ME = '/api/2.0/preview/scim/v2/Me';

/** Queues a fault (`path_prefix`, `status`, `headers`, `delay_ms`, `times`, …) and returns its id. */
export async function injectFault(fault) {
  const response = await fetch(`${emulatorUrl}/__emulator/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (response.status !== 201) {
    throw new Error(`injecting a fault failed: HTTP ${response.status} ${await response.text()}`);
  }
  return (await response.json()).id;
}

/** Removes every queued fault. */
export async function clearFaults() {
  const response = await fetch(`${emulatorUrl}/__emulator/faults`, { method: 'DELETE' });
  if (response.status !== 204) {
    throw new Error(`clearing faults failed: HTTP ${response.status}`);
  }
}
