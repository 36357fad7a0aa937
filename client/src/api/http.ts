// The one place that sends HTTP requests to the app server and turns failures into `ApiError`s.

import { ApiError, type ErrorBody } from './errors';

/**
 * Milliseconds the browser waits for a response before giving up. The server responds within its
 * upstream timeout (30 s by default) plus up to 5 s of retries, so this limit only ends a request
 * that the server never completes.
 */
export const CLIENT_TIMEOUT_MS = 90_000;

const CORRELATION_HEADER = 'X-Correlation-ID';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

/** Sends a request to `path` and returns the parsed JSON body, or `undefined` for 204. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const timeout = AbortSignal.timeout(CLIENT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }

  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal,
    });
  } catch (cause) {
    throw transportError(cause, timeout.aborted);
  }

  if (!response.ok) {
    throw await errorFromResponse(response);
  }
  if (response.status === 204) {
    return undefined as T;
  }
  return (await response.json()) as T;
}

/** Appends the query parameters that have a value. */
export function withQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  if (!query) {
    return path;
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Builds the `ApiError` for a non-2xx response, from its JSON error body when it has one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const headerCorrelationId = response.headers.get(CORRELATION_HEADER);
  const body = await readErrorBody(response);

  if (body === null) {
    return new ApiError({
      status: response.status,
      code: 'UNEXPECTED_RESPONSE',
      detail: `The server answered HTTP ${response.status} without an error description.`,
      retryAfter: retryAfterHeader(response.headers),
      correlationId: headerCorrelationId,
    });
  }
  return new ApiError({
    status: response.status,
    code: body.error_code,
    detail: typeof body.detail === 'string' ? body.detail : '',
    retryAfter: typeof body.retry_after === 'number' ? body.retry_after : retryAfterHeader(response.headers),
    correlationId: nonEmpty(body.correlation_id) ?? headerCorrelationId,
  });
}

async function readErrorBody(response: Response): Promise<ErrorBody | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await response.text());
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return null;
  }
  const body = parsed as Partial<ErrorBody>;
  if (typeof body.error_code !== 'string' || body.error_code === '') {
    return null;
  }
  return body as ErrorBody;
}

/** Reads `Retry-After` as whole seconds; an HTTP date counts from now. */
function retryAfterHeader(headers: Headers): number | null {
  const value = headers.get('Retry-After')?.trim();
  if (!value) {
    return null;
  }
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function transportError(cause: unknown, timedOut: boolean): Error {
  if (timedOut) {
    return new ApiError({
      status: 0,
      code: 'CLIENT_TIMEOUT',
      detail: `The server did not answer within ${CLIENT_TIMEOUT_MS / 1000} seconds. Try again.`,
    });
  }
  if (cause instanceof DOMException && cause.name === 'AbortError') {
    return cause;
  }
  return new ApiError({
    status: 0,
    code: 'NETWORK_ERROR',
    detail: cause instanceof Error ? cause.message : String(cause),
  });
}

function nonEmpty(value: string | null | undefined): string | null {
  return value && value.trim() !== '' ? value : null;
}

/** Tells whether `error` is the abort of a request this page cancelled. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
