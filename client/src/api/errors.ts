// Errors of the app server's API and the message people see for each `error_code`.

/** Every `error_code` the app server sends in an error body. */
export const SERVER_ERROR_CODES = [
  'AUTH_MISSING',
  'AUTH_MALFORMED',
  'AUTH_EXPIRED',
  'AUTH_INVALID',
  'AUTH_USER_IDENTITY_FAILED',
  'AUTH_RATE_LIMITED',
  'VALIDATION_ERROR',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'PREFERENCE_NOT_FOUND',
  'PERMISSION_DENIED',
  'ADMIN_REQUIRED',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'DATABASE_UNAVAILABLE',
  'LAKEBASE_NOT_CONFIGURED',
  'INTERNAL_ERROR',
] as const;

/** Codes this client gives to failures that carry no error body. */
export const CLIENT_ERROR_CODES = ['NETWORK_ERROR', 'CLIENT_TIMEOUT', 'UNEXPECTED_RESPONSE'] as const;

/** Seconds to wait after a rate limit whose response names no `retry_after`. */
export const DEFAULT_RETRY_AFTER_SECONDS = 60;

/** The JSON error body of the app server. */
export interface ErrorBody {
  detail: string;
  error_code: string;
  retry_after: number | null;
  correlation_id: string | null;
}

/** A failed API call: an error body from the server, or a failure that produced none. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly retryAfter: number | null;
  readonly correlationId: string | null;

  constructor(fields: {
    status: number;
    code: string;
    detail: string;
    retryAfter?: number | null;
    correlationId?: string | null;
  }) {
    super(`${fields.status} ${fields.code}: ${fields.detail}`);
    this.name = 'ApiError';
    this.status = fields.status;
    this.code = fields.code;
    this.detail = fields.detail;
    this.retryAfter = fields.retryAfter ?? null;
    this.correlationId = fields.correlationId ?? null;
  }
}

/** What the reader should do about an error, which decides the buttons shown with it. */
export type ErrorAction = 'refresh' | 'retry' | 'wait' | 'none';

export interface ErrorPresentation {
  title: string;
  message: string;
  action: ErrorAction;
  /** Seconds to wait before retrying; set only for rate limits. */
  retryAfterSeconds: number | null;
}

/** Returns the title, message and next step shown for `error`. */
export function describeError(error: ApiError): ErrorPresentation {
  const plain = (title: string, message: string, action: ErrorAction = 'none') => ({
    title,
    message,
    action,
    retryAfterSeconds: null,
  });

  switch (error.code) {
    case 'AUTH_EXPIRED':
      return plain('Session expired', 'Your session has expired. Refresh the page to continue.', 'refresh');
    case 'AUTH_INVALID':
      return plain(
        'Authentication failed',
        'Authentication failed. Try again, or contact support if it keeps happening.',
        'retry',
      );
    case 'AUTH_MISSING':
      return plain('Sign-in required', 'Authentication is required. Sign in to continue.');
    case 'AUTH_USER_IDENTITY_FAILED':
      return plain('Identity not verified', 'Your identity could not be verified. Try again.', 'retry');
    case 'AUTH_MALFORMED':
      return plain('Invalid authentication', 'Your authentication is invalid. Refresh the page and try again.', 'refresh');
    case 'AUTH_RATE_LIMITED':
    case 'RATE_LIMITED': {
      const seconds = retryAfterSeconds(error.retryAfter);
      return {
        title: 'Rate limit reached',
        message: `Too many requests. Wait ${seconds} seconds, then try again.`,
        action: 'wait',
        retryAfterSeconds: seconds,
      };
    }
    case 'PERMISSION_DENIED':
      return plain('Permission denied', detailOrFallback(error));
    case 'UPSTREAM_TIMEOUT':
      return plain('Workspace too slow', 'The workspace did not answer in time. Try again.', 'retry');
    case 'UPSTREAM_UNAVAILABLE':
      return plain('Workspace unavailable', 'The workspace is unavailable right now. Try again in a moment.', 'retry');
    case 'DATABASE_UNAVAILABLE':
      return plain('Database unavailable', 'The app database is unavailable right now. Try again in a moment.', 'retry');
    case 'NETWORK_ERROR':
      return plain('Server unreachable', 'The app server could not be reached. Check your connection and try again.', 'retry');
    case 'CLIENT_TIMEOUT':
      return plain('No answer', error.detail, 'retry');
    default:
      return plain('Request failed', detailOrFallback(error));
  }
}

/** Returns `retry_after` as whole seconds of at least 1, or the default when it is absent. */
export function retryAfterSeconds(retryAfter: number | null | undefined): number {
  if (retryAfter === null || retryAfter === undefined || !Number.isFinite(retryAfter)) {
    return DEFAULT_RETRY_AFTER_SECONDS;
  }
  return Math.max(1, Math.ceil(retryAfter));
}

function detailOrFallback(error: ApiError): string {
  const detail = error.detail.trim();
  if (detail !== '') {
    return detail;
  }
  return `The request failed with HTTP status ${error.status} (${error.code}).`;
}
