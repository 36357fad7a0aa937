import { describe, expect, it, vi } from 'vitest';

import { ApiError } from './errors';
import { request, withQuery } from './http';

function stubFetch(response: Response | Error) {
  const fetchMock = vi.fn(() => (response instanceof Error ? Promise.reject(response) : Promise.resolve(response)));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('the request was expected to fail');
}

describe('request', () => {
  it('returns the parsed body on success', async () => {
    stubFetch(jsonResponse(200, { user_id: 'alice@example.com' }));
    await expect(request('/api/user/me')).resolves.toEqual({ user_id: 'alice@example.com' });
  });

  it('returns undefined for 204', async () => {
    stubFetch(new Response(null, { status: 204 }));
    await expect(request('/api/preferences/theme', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it('sends a JSON body with its content type', async () => {
    const fetchMock = stubFetch(jsonResponse(201, {}));
    await request('/api/preferences', { method: 'POST', body: { preference_key: 'theme' } });
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"preference_key":"theme"}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('reads every field of an error body', async () => {
    stubFetch(
      jsonResponse(429, {
        detail: 'Workspace rate limit',
        error_code: 'AUTH_RATE_LIMITED',
        retry_after: 7,
        correlation_id: 'body-id',
      }),
    );
    const error = await failure(request('/api/user/me'));
    expect(error.status).toBe(429);
    expect(error.code).toBe('AUTH_RATE_LIMITED');
    expect(error.detail).toBe('Workspace rate limit');
    expect(error.retryAfter).toBe(7);
    expect(error.correlationId).toBe('body-id');
  });

  it('prefers the body correlation ID over the header', async () => {
    stubFetch(
      jsonResponse(
        500,
        { detail: 'Internal server error', error_code: 'INTERNAL_ERROR', retry_after: null, correlation_id: 'body-id' },
        { 'X-Correlation-ID': 'header-id' },
      ),
    );
    expect((await failure(request('/api/user/me'))).correlationId).toBe('body-id');
  });

  it('takes the correlation ID from the header when the body has none', async () => {
    stubFetch(
      jsonResponse(
        503,
        { detail: 'down', error_code: 'UPSTREAM_UNAVAILABLE', retry_after: null, correlation_id: null },
        { 'X-Correlation-ID': 'header-id' },
      ),
    );
    expect((await failure(request('/api/user/me'))).correlationId).toBe('header-id');
  });

  it('takes retry_after from the Retry-After header when the body has none', async () => {
    stubFetch(
      jsonResponse(
        429,
        { detail: 'slow down', error_code: 'RATE_LIMITED', retry_after: null, correlation_id: 'c' },
        { 'Retry-After': '9' },
      ),
    );
    expect((await failure(request('/api/model-serving/invoke'))).retryAfter).toBe(9);
  });

  it('turns a non-JSON error into UNEXPECTED_RESPONSE with the header ID', async () => {
    stubFetch(new Response('<html>Bad gateway</html>', { status: 502, headers: { 'X-Correlation-ID': 'proxy-id' } }));
    const error = await failure(request('/api/user/me'));
    expect(error.code).toBe('UNEXPECTED_RESPONSE');
    expect(error.status).toBe(502);
    expect(error.detail).toContain('HTTP 502');
    expect(error.correlationId).toBe('proxy-id');
  });

  it('turns a JSON body without error_code into UNEXPECTED_RESPONSE', async () => {
    stubFetch(jsonResponse(404, { message: 'nope' }));
    expect((await failure(request('/api/user/me'))).code).toBe('UNEXPECTED_RESPONSE');
  });

  it('turns a transport failure into NETWORK_ERROR', async () => {
    stubFetch(new TypeError('Failed to fetch'));
    const error = await failure(request('/api/user/me'));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.status).toBe(0);
    expect(error.correlationId).toBeNull();
  });
});

describe('withQuery', () => {
  it('skips empty values and encodes the rest', () => {
    expect(withQuery('/x', { a: 'b c', empty: '', none: null, missing: undefined, n: 2 })).toBe('/x?a=b+c&n=2');
  });

  it('leaves the path alone without parameters', () => {
    expect(withQuery('/x', { none: null })).toBe('/x');
  });
});
