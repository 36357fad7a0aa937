// Model playground: pick a serving endpoint, edit the request body, invoke it, and read the
// caller's invocation history.

import { useState } from 'react';

import { api } from '../api/client';
import type { ServingEndpoint } from '../api/types';
import { AsyncView } from '../components/AsyncView';
import { useApi } from '../hooks/useApi';
import { endpointReadiness } from './endpoints';
import { InvocationForm } from './InvocationForm';
import { InvocationHistory } from './InvocationHistory';

export function ModelsPage() {
  const endpoints = useApi((signal) => api.listEndpoints(signal), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [historyVersion, setHistoryVersion] = useState(0);

  return (
    <>
      <h1>Models</h1>
      <p className="lead">Model Serving endpoints, invoked with your own identity.</p>
      <div className="playground">
        <section className="card" aria-labelledby="endpoints-heading">
          <h2 id="endpoints-heading">Endpoints</h2>
          <AsyncView resource={endpoints} what="serving endpoints">
            {(list) => <EndpointChoice endpoints={list} selected={selected} onSelect={setSelected} />}
          </AsyncView>
        </section>
        <section className="card" aria-labelledby="invoke-heading">
          <h2 id="invoke-heading">Invoke{selected ? ` ${selected}` : ''}</h2>
          {endpoints.state.status === 'success' && selected ? (
            <InvocationForm
              key={selected}
              endpoint={endpoints.state.data.find((endpoint) => endpoint.name === selected) ?? { name: selected }}
              onInvoked={() => setHistoryVersion((version) => version + 1)}
            />
          ) : (
            <p className="muted">Choose an endpoint first.</p>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="history-heading">
        <h2 id="history-heading">Your invocation history</h2>
        <InvocationHistory version={historyVersion} />
      </section>
    </>
  );
}

interface ChoiceProps {
  endpoints: ServingEndpoint[];
  selected: string | null;
  onSelect: (name: string) => void;
}

function EndpointChoice({ endpoints, selected, onSelect }: ChoiceProps) {
  if (endpoints.length === 0) {
    return <p className="muted">No serving endpoints you can see.</p>;
  }
  return (
    <fieldset className="endpoint-choice">
      <legend className="visually-hidden">Endpoint</legend>
      {endpoints.map((endpoint) => {
        const readiness = endpointReadiness(endpoint.state);
        return (
          <label key={endpoint.name} className="endpoint-option">
            <input
              type="radio"
              name="endpoint"
              value={endpoint.name}
              checked={endpoint.name === selected}
              onChange={() => onSelect(endpoint.name)}
            />
            <span className="endpoint-name">{endpoint.name}</span>
            <span className={readiness === 'READY' ? 'badge badge-ok' : 'badge badge-warn'}>{readiness}</span>
            <span className="endpoint-meta">
              {endpoint.task ?? 'custom model'}
              {endpoint.creator ? `, by ${endpoint.creator}` : ''}
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}
