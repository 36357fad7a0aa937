// The loading state of a pending request. It stays until the server responds, however long that takes.

import { useElapsedSeconds } from '../hooks/useElapsedSeconds';

/** Seconds after which the loading message adds that the wait is longer than usual. */
const SLOW_AFTER_SECONDS = 3;

export function Loading({ what }: { what: string }) {
  const elapsed = useElapsedSeconds();

  return (
    <p className="loading" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      <span>Loading {what}…</span>
      {elapsed >= SLOW_AFTER_SECONDS && (
        <span className="loading-slow"> Still waiting for the server ({elapsed} s).</span>
      )}
    </p>
  );
}
