// Loads data through the API client and tracks the request's loading, success and error states.

import { useCallback, useEffect, useState } from 'react';

import { ApiError } from '../api/errors';
import { isAbort } from '../api/http';

export type ApiState<T> =
  | { status: 'loading' }
  | { status: 'success'; data: T }
  | { status: 'error'; error: ApiError };

export interface ApiResource<T> {
  state: ApiState<T>;
  /** Sends the request again. */
  reload: () => void;
}

/**
 * Calls `load` on mount, whenever `deps` change and on `reload`. A newer call aborts the older one,
 * so a slow response never overwrites a newer one.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): ApiResource<T> {
  const [state, setState] = useState<ApiState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) {
          setState({ status: 'success', data });
        }
      },
      (error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) {
          setState({ status: 'error', error: toApiError(error) });
        }
      },
    );
    return () => controller.abort();
    // `load` is a new function on every render, so `deps` lists the values it reads instead.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { state, reload };
}

/** Wraps anything thrown by a page into an `ApiError` so one component can show it. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  return new ApiError({
    status: 0,
    code: 'UNEXPECTED_RESPONSE',
    detail: error instanceof Error ? error.message : String(error),
  });
}
