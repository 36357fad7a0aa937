import { describe, expect, it } from 'vitest';

import { ApiError, CLIENT_ERROR_CODES, describeError, retryAfterSeconds, SERVER_ERROR_CODES } from './errors';

const SERVER_DETAIL = 'Detail sent by the server';

function apiError(code: string, fields: Partial<{ detail: string; retryAfter: number | null; status: number }> = {}) {
  return new ApiError({
    status: fields.status ?? 400,
    code,
    detail: fields.detail ?? SERVER_DETAIL,
    retryAfter: fields.retryAfter ?? null,
    correlationId: 'corr-1',
  });
}

describe('describeError', () => {
  const fixedMessages: [string, RegExp, string][] = [
    ['AUTH_EXPIRED', /session has expired.*refresh the page to continue/i, 'refresh'],
    ['AUTH_INVALID', /authentication failed.*try again.*contact support/i, 'retry'],
    ['AUTH_MISSING', /authentication is required.*sign in to continue/i, 'none'],
    ['AUTH_USER_IDENTITY_FAILED', /identity could not be verified.*try again/i, 'retry'],
    ['AUTH_MALFORMED', /authentication is invalid.*refresh the page and try again/i, 'refresh'],
    ['UPSTREAM_TIMEOUT', /did not answer in time.*try again/i, 'retry'],
    ['UPSTREAM_UNAVAILABLE', /workspace is unavailable.*try again/i, 'retry'],
    ['DATABASE_UNAVAILABLE', /database is unavailable.*try again/i, 'retry'],
  ];

  it.each(fixedMessages)('%s has its own message', (code, message, action) => {
    const shown = describeError(apiError(code));
    expect(shown.message).toMatch(message);
    expect(shown.message).not.toContain(SERVER_DETAIL);
    expect(shown.action).toBe(action);
    expect(shown.retryAfterSeconds).toBeNull();
  });

  it.each(['AUTH_RATE_LIMITED', 'RATE_LIMITED'])('%s asks to wait retry_after seconds', (code) => {
    const shown = describeError(apiError(code, { retryAfter: 7, status: 429 }));
    expect(shown.message).toBe('Too many requests. Wait 7 seconds, then try again.');
    expect(shown.action).toBe('wait');
    expect(shown.retryAfterSeconds).toBe(7);
  });

  it.each(['AUTH_RATE_LIMITED', 'RATE_LIMITED'])('%s without retry_after waits 60 seconds', (code) => {
    const shown = describeError(apiError(code, { retryAfter: null, status: 429 }));
    expect(shown.retryAfterSeconds).toBe(60);
    expect(shown.message).toContain('Wait 60 seconds');
  });

  it('permission denied shows the server detail', () => {
    const detail = "User does not have USE CATALOG on Catalog 'finance'.";
    const shown = describeError(apiError('PERMISSION_DENIED', { detail, status: 403 }));
    expect(shown.message).toBe(detail);
    expect(shown.title).toBe('Permission denied');
  });

  const detailCodes = SERVER_ERROR_CODES.filter(
    (code) => !fixedMessages.some(([fixed]) => fixed === code) && !code.endsWith('RATE_LIMITED'),
  );

  it.each(detailCodes)('%s shows the server detail', (code) => {
    expect(describeError(apiError(code)).message).toBe(SERVER_DETAIL);
  });

  it('unknown code shows the server detail', () => {
    expect(describeError(apiError('SOMETHING_NEW')).message).toBe(SERVER_DETAIL);
  });

  it('empty detail falls back to status and code', () => {
    const shown = describeError(apiError('SOMETHING_NEW', { detail: '  ', status: 418 }));
    expect(shown.message).toBe('The request failed with HTTP status 418 (SOMETHING_NEW).');
  });

  it('every code has a non-empty message', () => {
    for (const code of [...SERVER_ERROR_CODES, ...CLIENT_ERROR_CODES]) {
      const shown = describeError(apiError(code));
      expect(shown.message.trim(), code).not.toBe('');
      expect(shown.title.trim(), code).not.toBe('');
    }
  });
});

describe('retryAfterSeconds', () => {
  it('keeps whole seconds', () => {
    expect(retryAfterSeconds(12)).toBe(12);
  });

  it('rounds fractions up', () => {
    expect(retryAfterSeconds(2.1)).toBe(3);
  });

  it('waits at least one second', () => {
    expect(retryAfterSeconds(0)).toBe(1);
  });

  it('defaults to 60 when absent', () => {
    expect(retryAfterSeconds(null)).toBe(60);
    expect(retryAfterSeconds(undefined)).toBe(60);
    expect(retryAfterSeconds(Number.NaN)).toBe(60);
  });
});
