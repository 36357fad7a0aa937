import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '../api/errors';
import { ErrorNotice } from './ErrorNotice';

function rateLimited(retryAfter: number | null) {
  return new ApiError({
    status: 429,
    code: 'AUTH_RATE_LIMITED',
    detail: 'The workspace rate-limited the identity lookup',
    retryAfter,
    correlationId: 'corr-429',
  });
}

describe('ErrorNotice', () => {
  it('counts retry_after down to zero', () => {
    vi.useFakeTimers();
    const onRetry = vi.fn();
    render(<ErrorNotice error={rateLimited(3)} onRetry={onRetry} />);

    expect(screen.getByTestId('retry-countdown').textContent).toBe('You can try again in 3 s.');
    expect(screen.getByRole('button', { name: 'Try again' })).toHaveProperty('disabled', true);

    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId('retry-countdown').textContent).toBe('You can try again in 2 s.');

    act(() => vi.advanceTimersByTime(2000));
    expect(screen.getByTestId('retry-countdown').textContent).toBe('You can try again now.');
    const retry = screen.getByRole('button', { name: 'Try again' });
    expect(retry).toHaveProperty('disabled', false);
    fireEvent.click(retry);
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('counts down from 60 without retry_after', () => {
    render(<ErrorNotice error={rateLimited(null)} />);
    expect(screen.getByTestId('retry-countdown').textContent).toBe('You can try again in 60 s.');
    expect(screen.getByRole('alert').textContent).toContain('Wait 60 seconds');
  });

  it('shows the correlation ID and copies it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    render(<ErrorNotice error={rateLimited(5)} />);

    expect(screen.getByTestId('correlation-id').textContent).toBe('corr-429');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Copy correlation ID' }));
    });
    expect(writeText).toHaveBeenCalledWith('corr-429');
    expect(screen.getByText('Copied')).toBeTruthy();
  });

  it('says when copying fails', async () => {
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: () => Promise.reject(new Error('denied')) } });
    render(<ErrorNotice error={rateLimited(5)} />);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Copy correlation ID' }));
    });
    expect(screen.getByText(/Copy failed/)).toBeTruthy();
  });

  it('offers a retry for an unavailable workspace', () => {
    const onRetry = vi.fn();
    const error = new ApiError({ status: 503, code: 'UPSTREAM_UNAVAILABLE', detail: 'breaker open', correlationId: 'c-503' });
    render(<ErrorNotice error={error} onRetry={onRetry} />);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('offers a page refresh for an expired session', () => {
    const error = new ApiError({ status: 401, code: 'AUTH_EXPIRED', detail: 'expired', correlationId: 'c-401' });
    render(<ErrorNotice error={error} onRetry={vi.fn()} />);
    expect(screen.getByRole('button', { name: 'Refresh the page' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
  });

  it('shows the detail of a permission error without retry', () => {
    const detail = "User does not have USE CATALOG on Catalog 'finance'.";
    const error = new ApiError({ status: 403, code: 'PERMISSION_DENIED', detail, correlationId: 'c-403' });
    render(<ErrorNotice error={error} onRetry={vi.fn()} />);
    expect(screen.getByRole('alert').textContent).toContain(detail);
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
  });

  it('leaves out the correlation line when there is no ID', () => {
    const error = new ApiError({ status: 0, code: 'NETWORK_ERROR', detail: 'Failed to fetch' });
    render(<ErrorNotice error={error} />);
    expect(screen.queryByTestId('correlation-id')).toBeNull();
  });
});
