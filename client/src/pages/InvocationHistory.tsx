// The signed-in user's Model Serving invocations, newest first, a page at a time.

import { useState } from 'react';

import { api } from '../api/client';
import type { InvocationLog } from '../api/types';
import { AsyncView } from '../components/AsyncView';
import { useApi } from '../hooks/useApi';

const PAGE_SIZE = 10;

/** `version` changes after each invocation, which reloads the list. */
export function InvocationHistory({ version }: { version: number }) {
  const [offset, setOffset] = useState(0);
  const logs = useApi((signal) => api.invocationLogs(PAGE_SIZE, offset, signal), [offset, version]);

  return (
    <AsyncView resource={logs} what="your invocation history">
      {(page) =>
        page.logs.length === 0 ? (
          <p data-testid="no-invocations">You have not invoked any model yet.</p>
        ) : (
          <>
            <div className="table-scroll">
              <table className="data-table" data-testid="invocation-history">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Status</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Request ID</th>
                  </tr>
                </thead>
                <tbody>
                  {page.logs.map((log) => (
                    <HistoryRow key={log.request_id} log={log} />
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="pager" aria-label="Invocation history pages">
              <button type="button" className="button button-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
                Newer
              </button>
              <span>
                {offset + 1}–{offset + page.logs.length} of {page.total_count}
              </span>
              <button
                type="button"
                className="button button-small"
                disabled={offset + page.logs.length >= page.total_count}
                onClick={() => setOffset(offset + PAGE_SIZE)}
              >
                Older
              </button>
            </nav>
          </>
        )
      }
    </AsyncView>
  );
}

function HistoryRow({ log }: { log: InvocationLog }) {
  const when = log.requested_at ?? log.created_at ?? null;
  const latency = log.latency_ms ?? log.execution_time_ms ?? null;
  return (
    <tr>
      <td>{when ? <time dateTime={when}>{new Date(when).toLocaleString()}</time> : 'unknown'}</td>
      <td>{log.endpoint_name}</td>
      <td>
        {log.status}
        {log.error_message ? `: ${log.error_message}` : ''}
      </td>
      <td>{latency === null ? '' : `${latency} ms`}</td>
      <td>
        <code>{log.request_id}</code>
      </td>
    </tr>
  );
}
