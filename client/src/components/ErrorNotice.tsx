// Shows an API error: its message, the next step (refresh, retry or wait) and the correlation ID.

import { useId } from 'react';

import { type ApiError, describeError } from '../api/errors';
import { useCountdown } from '../hooks/useCountdown';
import { CopyButton } from './CopyButton';

interface Props {
  error: ApiError;
  /** Sends the failed request again; without it no retry button is shown. */
  onRetry?: () => void;
}

export function ErrorNotice({ error, onRetry }: Props) {
  const presentation = describeError(error);
  const remaining = useCountdown(presentation.retryAfterSeconds, error);
  const waiting = remaining !== null && remaining > 0;
  const titleId = useId();

  return (
    <section className="notice notice-error" role="alert" aria-labelledby={titleId} data-error-code={error.code}>
      <h3 id={titleId} className="notice-title">
        {presentation.title}
      </h3>
      <p className="notice-message">{presentation.message}</p>

      {presentation.action === 'wait' && (
        <p className="countdown" data-testid="retry-countdown">
          {waiting ? `You can try again in ${remaining} s.` : 'You can try again now.'}
        </p>
      )}

      <div className="notice-actions">
        {presentation.action === 'refresh' && (
          <button type="button" className="button" onClick={() => window.location.reload()}>
            Refresh the page
          </button>
        )}
        {onRetry && (presentation.action === 'retry' || presentation.action === 'wait') && (
          <button type="button" className="button" onClick={onRetry} disabled={waiting}>
            Try again
          </button>
        )}
      </div>

      {error.correlationId && (
        <p className="correlation">
          <span>Correlation ID for support: </span>
          <code className="correlation-id" data-testid="correlation-id">
            {error.correlationId}
          </code>{' '}
          <CopyButton text={error.correlationId} label="Copy correlation ID" />
        </p>
      )}
    </section>
  );
}
