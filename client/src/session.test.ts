import { describe, expect, it } from 'vitest';

import { ApiError } from './api/errors';
import { adminAccess } from './session';

const failed = (status: number, code: string) =>
  ({ status: 'error', error: new ApiError({ status, code, detail: '' }) }) as const;

describe('adminAccess', () => {
  it('is unknown while loading', () => {
    expect(adminAccess({ status: 'loading' })).toBeNull();
  });

  it('shows the page when the admin API answers', () => {
    expect(adminAccess({ status: 'success', data: {} })).toBe(true);
  });

  it('hides the page for ADMIN_REQUIRED', () => {
    expect(adminAccess(failed(403, 'ADMIN_REQUIRED'))).toBe(false);
  });

  it('hides the page without a user token', () => {
    expect(adminAccess(failed(401, 'AUTH_MISSING'))).toBe(false);
  });

  it('hides the page when the server has no admin API', () => {
    expect(adminAccess(failed(404, 'NOT_FOUND'))).toBe(false);
  });

  it('shows the page when the server fails', () => {
    expect(adminAccess(failed(503, 'DATABASE_UNAVAILABLE'))).toBe(true);
  });
});
