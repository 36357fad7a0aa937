// Administrators only: data left behind by deactivated users, and the retention job.

import { useState } from 'react';

import { api } from '../api/client';
import type { ApiError } from '../api/errors';
import type { JsonValue, OrphanedRecord } from '../api/types';
import { AsyncView } from '../components/AsyncView';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading } from '../components/Loading';
import { toApiError, useApi } from '../hooks/useApi';
import { useSession } from '../session';

const PAGE_SIZE = 50;

export function AdminPage() {
  const { isAdmin } = useSession();
  if (isAdmin === null) {
    return <Loading what="your permissions" />;
  }
  if (!isAdmin) {
    return (
      <>
        <h1>Admin</h1>
        <p data-testid="admin-hidden">This page is for app administrators only.</p>
      </>
    );
  }
  return (
    <>
      <h1>Admin</h1>
      <section className="card" aria-labelledby="orphans-heading">
        <h2 id="orphans-heading">Orphaned records</h2>
        <p className="lead">Preferences and inference logs of users the workspace has deactivated.</p>
        <OrphanedRecords />
      </section>
      <section className="card" aria-labelledby="cleanup-heading">
        <h2 id="cleanup-heading">Retention job</h2>
        <Cleanup />
      </section>
    </>
  );
}

function OrphanedRecords() {
  const [page, setPage] = useState(1);
  const records = useApi((signal) => api.orphanedRecords(page, PAGE_SIZE, signal), [page]);

  return (
    <AsyncView resource={records} what="orphaned records">
      {(result) => (
        <>
          {result.records.length === 0 ? (
            <p data-testid="no-orphans">No deactivated user has data left.</p>
          ) : (
            <div className="table-scroll">
              <table className="data-table" data-testid="orphan-table">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Deactivated</th>
                    <th scope="col">Preferences</th>
                    <th scope="col">Inference logs</th>
                    <th scope="col">Retention passed</th>
                  </tr>
                </thead>
                <tbody>
                  {result.records.map((record) => (
                    <OrphanRow key={record.user_id} record={record} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav className="pager" aria-label="Orphaned record pages">
            <button type="button" className="button button-small" disabled={page === 1} onClick={() => setPage(page - 1)}>
              Previous
            </button>
            <span>Page {page}</span>
            <button
              type="button"
              className="button button-small"
              disabled={result.records.length < PAGE_SIZE}
              onClick={() => setPage(page + 1)}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </AsyncView>
  );
}

function OrphanRow({ record }: { record: OrphanedRecord }) {
  return (
    <tr>
      <th scope="row">{record.user_id}</th>
      <td>{record.deactivated_at ? new Date(record.deactivated_at).toLocaleString() : 'unknown'}</td>
      <td>{record.preference_count ?? '?'}</td>
      <td>{record.inference_log_count ?? '?'}</td>
      <td>{yesNo(record.retention_expired)}</td>
    </tr>
  );
}

function yesNo(value: boolean | undefined): string {
  if (value === undefined) {
    return '?';
  }
  return value ? 'yes' : 'no';
}

type CleanupOutcome =
  | { status: 'idle' }
  | { status: 'pending' }
  | { status: 'done'; summary: Record<string, JsonValue> }
  | { status: 'error'; error: ApiError };

function Cleanup() {
  const [outcome, setOutcome] = useState<CleanupOutcome>({ status: 'idle' });

  const run = async () => {
    setOutcome({ status: 'pending' });
    try {
      setOutcome({ status: 'done', summary: await api.cleanup(true) });
    } catch (error) {
      setOutcome({ status: 'error', error: toApiError(error) });
    }
  };

  return (
    <>
      <p>A dry run reports what the retention job would delete now, and deletes nothing.</p>
      <button type="button" className="button" onClick={() => void run()} disabled={outcome.status === 'pending'}>
        Run a dry run
      </button>
      {outcome.status === 'pending' && <Loading what="the dry run" />}
      {outcome.status === 'error' && <ErrorNotice error={outcome.error} onRetry={() => void run()} />}
      {outcome.status === 'done' && (
        <pre className="code-block" tabIndex={0} aria-label="Dry run summary">
          {JSON.stringify(outcome.summary, null, 2)}
        </pre>
      )}
    </>
  );
}
