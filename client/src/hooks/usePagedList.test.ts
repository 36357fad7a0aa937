import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '../api/errors';
import type { Page } from '../api/types';
import { usePagedList } from './usePagedList';

function pages(...list: Page<string>[]) {
  const byToken = new Map<string | null, Page<string>>();
  list.forEach((page, index) => byToken.set(index === 0 ? null : `t${index}`, page));
  return vi.fn((token: string | null) => {
    const page = byToken.get(token);
    return page ? Promise.resolve(page) : Promise.reject(new Error(`unknown token ${token}`));
  });
}

describe('usePagedList', () => {
  it('reads past empty pages that carry a token', async () => {
    const load = pages(
      { items: [], next_page_token: 't1' },
      { items: [], next_page_token: 't2' },
      { items: ['main'], next_page_token: null },
    );
    const { result } = renderHook(() => usePagedList(load, []));

    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.items).toEqual(['main']);
    expect(result.current.hasMore).toBe(false);
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('appends the next page on loadMore', async () => {
    const load = pages({ items: ['a'], next_page_token: 't1' }, { items: ['b'], next_page_token: null });
    const { result } = renderHook(() => usePagedList(load, []));
    await waitFor(() => expect(result.current.hasMore).toBe(true));

    act(() => result.current.loadMore());
    await waitFor(() => expect(result.current.items).toEqual(['a', 'b']));
    expect(result.current.hasMore).toBe(false);
  });

  it('keeps the rows read and the error of a failed page', async () => {
    const denied = new ApiError({ status: 403, code: 'PERMISSION_DENIED', detail: 'no USE CATALOG' });
    const load = vi
      .fn()
      .mockResolvedValueOnce({ items: ['a'], next_page_token: 't1' })
      .mockRejectedValueOnce(denied)
      .mockResolvedValueOnce({ items: ['b'], next_page_token: null });
    const { result } = renderHook(() => usePagedList<string>(load, []));
    await waitFor(() => expect(result.current.hasMore).toBe(true));

    act(() => result.current.loadMore());
    await waitFor(() => expect(result.current.error).toBe(denied));
    expect(result.current.items).toEqual(['a']);

    act(() => result.current.loadMore());
    await waitFor(() => expect(result.current.items).toEqual(['a', 'b']));
    expect(load).toHaveBeenLastCalledWith('t1', expect.anything());
  });
});
