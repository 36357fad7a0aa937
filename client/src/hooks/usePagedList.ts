// Reads a token-paged list one page at a time and keeps the rows read so far.

import { useCallback, useEffect, useRef, useState } from 'react';

import type { ApiError } from '../api/errors';
import { isAbort } from '../api/http';
import type { Page } from '../api/types';
import { toApiError } from './useApi';

/**
 * Most pages read in a row while they come back empty. The workspace may return an empty page that
 * still has a `next_page_token`, so one "load more" reads on until it finds rows or this limit.
 */
const MAX_EMPTY_PAGES = 10;

export interface PagedList<T> {
  items: T[];
  /** True while a page is being read. */
  loading: boolean;
  error: ApiError | null;
  hasMore: boolean;
  loadMore: () => void;
}

export function usePagedList<T>(
  loadPage: (pageToken: string | null, signal: AbortSignal) => Promise<Page<T>>,
  deps: readonly unknown[],
): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextToken, setNextToken] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const controller = useRef<AbortController | null>(null);
  const loader = useRef(loadPage);
  loader.current = loadPage;

  const read = useCallback(async (startToken: string | null, replace: boolean) => {
    controller.current?.abort();
    const current = new AbortController();
    controller.current = current;
    setLoading(true);
    setError(null);
    if (replace) {
      setItems([]);
      setNextToken(null);
    }

    try {
      let token = startToken;
      let rows: T[] = [];
      for (let page = 0; page < MAX_EMPTY_PAGES && rows.length === 0; page += 1) {
        const result = await loader.current(token, current.signal);
        rows = result.items ?? [];
        token = result.next_page_token || null;
        if (token === null) {
          break;
        }
      }
      if (!current.signal.aborted) {
        setItems((previous) => (replace ? rows : [...previous, ...rows]));
        setNextToken(token);
      }
    } catch (caught) {
      if (!current.signal.aborted && !isAbort(caught)) {
        setError(toApiError(caught));
      }
    } finally {
      if (!current.signal.aborted) {
        setLoading(false);
      }
    }
  }, []);

  useEffect(() => {
    void read(null, true);
    return () => controller.current?.abort();
    // `loadPage` is a new function on every render, so `deps` lists the values it reads instead.
  }, deps);

  const loadMore = useCallback(() => {
    if (error && items.length === 0) {
      void read(null, true);
    } else {
      void read(nextToken, false);
    }
  }, [error, items.length, nextToken, read]);

  return { items, loading, error, hasMore: nextToken !== null, loadMore };
}
