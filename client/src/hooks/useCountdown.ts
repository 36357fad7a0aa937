// A number of seconds that counts down to zero, once a second.

import { useEffect, useState } from 'react';

/** Returns the seconds left of a countdown that starts at `seconds` (restarts when `key` changes). */
export function useCountdown(seconds: number | null, key: unknown): number | null {
  const [remaining, setRemaining] = useState(seconds);

  useEffect(() => {
    setRemaining(seconds);
    if (seconds === null || seconds <= 0) {
      return undefined;
    }
    const startedAt = Date.now();
    const timer = setInterval(() => {
      const left = Math.max(0, seconds - Math.floor((Date.now() - startedAt) / 1000));
      setRemaining(left);
      if (left === 0) {
        clearInterval(timer);
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [seconds, key]);

  return remaining;
}
