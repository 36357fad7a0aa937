// The request editor of the model playground and the response of the last invocation.

import { type FormEvent, useState } from 'react';

import { api } from '../api/client';
import type { ApiError } from '../api/errors';
import type { InvocationResult, JsonValue, ServingEndpoint } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading } from '../components/Loading';
import { toApiError } from '../hooks/useApi';
import { samplePayload } from './endpoints';

/** Bounds of `timeout_seconds` the server accepts, and its default. */
const MIN_TIMEOUT = 1;
const MAX_TIMEOUT = 300;
const DEFAULT_TIMEOUT = 30;

type Outcome =
  | { status: 'idle' }
  | { status: 'pending' }
  | { status: 'done'; result: InvocationResult; roundTripMs: number }
  | { status: 'error'; error: ApiError };

interface Props {
  endpoint: ServingEndpoint;
  onInvoked: () => void;
}

export function InvocationForm({ endpoint, onInvoked }: Props) {
  const sample = JSON.stringify(samplePayload(endpoint.task), null, 2);
  const [body, setBody] = useState(sample);
  const [timeout, setTimeoutSeconds] = useState(String(DEFAULT_TIMEOUT));
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ status: 'idle' });

  const invoke = async () => {
    let inputs: JsonValue;
    try {
      inputs = JSON.parse(body) as JsonValue;
    } catch (error) {
      setProblem(`The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const seconds = Number(timeout);
    if (!Number.isInteger(seconds) || seconds < MIN_TIMEOUT || seconds > MAX_TIMEOUT) {
      setProblem(`The timeout must be a whole number of seconds from ${MIN_TIMEOUT} to ${MAX_TIMEOUT}.`);
      return;
    }
    setProblem(null);
    setOutcome({ status: 'pending' });
    const started = performance.now();
    try {
      const result = await api.invoke({ endpoint_name: endpoint.name, inputs, timeout_seconds: seconds });
      setOutcome({ status: 'done', result, roundTripMs: Math.round(performance.now() - started) });
    } catch (error) {
      setOutcome({ status: 'error', error: toApiError(error) });
    } finally {
      onInvoked();
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void invoke();
  };

  return (
    <>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="invocation-body">Request body (JSON)</label>
          <textarea
            id="invocation-body"
            rows={10}
            value={body}
            onChange={(event) => setBody(event.target.value)}
            spellCheck={false}
            className="code-input"
          />
        </div>
        <div className="field field-narrow">
          <label htmlFor="invocation-timeout">Timeout (seconds)</label>
          <input
            id="invocation-timeout"
            type="number"
            min={MIN_TIMEOUT}
            max={MAX_TIMEOUT}
            value={timeout}
            onChange={(event) => setTimeoutSeconds(event.target.value)}
          />
        </div>
        {problem && (
          <p className="field-problem" role="alert">
            {problem}
          </p>
        )}
        <div className="form-buttons">
          <button type="submit" className="button button-primary" disabled={outcome.status === 'pending'}>
            Invoke
          </button>
          <button type="button" className="button" onClick={() => setBody(sample)}>
            Reset to sample
          </button>
        </div>
      </form>
      <InvocationOutcome outcome={outcome} onRetry={() => void invoke()} />
    </>
  );
}

function InvocationOutcome({ outcome, onRetry }: { outcome: Outcome; onRetry: () => void }) {
  switch (outcome.status) {
    case 'idle':
      return null;
    case 'pending':
      return <Loading what="the model's response" />;
    case 'error':
      return <ErrorNotice error={outcome.error} onRetry={onRetry} />;
    case 'done':
      return (
        <div className="response" data-testid="invocation-response">
          <h3>Response</h3>
          <dl className="facts">
            <dt>Status</dt>
            <dd>{outcome.result.status}</dd>
            <dt>Model latency</dt>
            <dd>{outcome.result.execution_time_ms} ms</dd>
            <dt>Round trip</dt>
            <dd>{outcome.roundTripMs} ms</dd>
            <dt>Request ID</dt>
            <dd>
              <code>{outcome.result.request_id}</code>
            </dd>
          </dl>
          <pre className="code-block" tabIndex={0} aria-label="Predictions">
            {JSON.stringify(outcome.result.predictions, null, 2)}
          </pre>
        </div>
      );
  }
}
