// The signed-in user's preferences: list, add, edit and delete.

import { useState } from 'react';

import { api } from '../api/client';
import type { ApiError } from '../api/errors';
import type { Preference } from '../api/types';
import { AsyncView } from '../components/AsyncView';
import { ErrorNotice } from '../components/ErrorNotice';
import { toApiError, useApi } from '../hooks/useApi';
import { PreferenceForm, type PreferenceDraft } from './PreferenceForm';
import { displayValue, editorText } from './preferenceValue';

const EMPTY_DRAFT: PreferenceDraft = { key: '', text: '', format: 'text' };

export function PreferencesPage() {
  const preferences = useApi((signal) => api.listPreferences(signal), []);
  const [draft, setDraft] = useState<PreferenceDraft>(EMPTY_DRAFT);
  const [status, setStatus] = useState('');
  const [deleteError, setDeleteError] = useState<{ key: string; error: ApiError } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const edit = (preference: Preference) => {
    setDraft({ key: preference.preference_key, ...editorText(preference.preference_value) });
    setStatus(`Editing ${preference.preference_key}.`);
    document.getElementById('preference-key')?.focus();
  };

  const saved = (key: string) => {
    setDraft(EMPTY_DRAFT);
    setStatus(`Saved ${key}.`);
    preferences.reload();
  };

  const remove = async (key: string) => {
    setConfirming(null);
    setDeleteError(null);
    try {
      await api.deletePreference(key);
      setStatus(`Deleted ${key}.`);
      preferences.reload();
    } catch (error) {
      setDeleteError({ key, error: toApiError(error) });
    }
  };

  return (
    <>
      <h1>Preferences</h1>
      <p className="lead">Stored by the app for you alone: other users never see them.</p>
      <p className="status-line" role="status">
        {status}
      </p>

      <section className="card" aria-labelledby="preference-form-heading">
        <h2 id="preference-form-heading">Add or edit a preference</h2>
        <PreferenceForm draft={draft} onChange={setDraft} onSaved={saved} />
      </section>

      <section className="card" aria-labelledby="preference-list-heading">
        <h2 id="preference-list-heading">Your preferences</h2>
        {deleteError && (
          <ErrorNotice error={deleteError.error} onRetry={() => void remove(deleteError.key)} />
        )}
        <AsyncView resource={preferences} what="your preferences">
          {(rows) =>
            rows.length === 0 ? (
              <p data-testid="no-preferences">You have no preferences yet.</p>
            ) : (
              <div className="table-scroll">
                <table className="data-table" data-testid="preference-table">
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Value</th>
                      <th scope="col">Updated</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => (
                      <tr key={row.preference_key}>
                        <th scope="row">
                          <code>{row.preference_key}</code>
                        </th>
                        <td className="value-cell">
                          <code>{displayValue(row.preference_value)}</code>
                        </td>
                        <td>
                          <time dateTime={row.updated_at}>{formatTime(row.updated_at)}</time>
                        </td>
                        <td className="actions-cell">
                          {confirming === row.preference_key ? (
                            <>
                              <button type="button" className="button button-small button-danger" onClick={() => void remove(row.preference_key)}>
                                Confirm delete of {row.preference_key}
                              </button>
                              <button type="button" className="button button-small" onClick={() => setConfirming(null)}>
                                Cancel
                              </button>
                            </>
                          ) : (
                            <>
                              <button type="button" className="button button-small" aria-label={`Edit ${row.preference_key}`} onClick={() => edit(row)}>
                                Edit
                              </button>
                              <button type="button" className="button button-small" aria-label={`Delete ${row.preference_key}`} onClick={() => setConfirming(row.preference_key)}>
                                Delete
                              </button>
                            </>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </AsyncView>
      </section>
    </>
  );
}

function formatTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}
