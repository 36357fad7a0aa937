// The form that adds a preference or replaces the value of an existing key.

import { type FormEvent, useState } from 'react';

import { api } from '../api/client';
import type { ApiError } from '../api/errors';
import { ErrorNotice } from '../components/ErrorNotice';
import { toApiError } from '../hooks/useApi';
import { keyProblem, parseValue, type ValueFormat } from './preferenceValue';

export interface PreferenceDraft {
  key: string;
  text: string;
  format: ValueFormat;
}

interface Props {
  draft: PreferenceDraft;
  onChange: (draft: PreferenceDraft) => void;
  onSaved: (key: string) => void;
}

export function PreferenceForm({ draft, onChange, onSaved }: Props) {
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async () => {
    setError(null);
    const badKey = keyProblem(draft.key);
    const parsed = parseValue(draft.text, draft.format);
    if (badKey) {
      setProblem(`Key: ${badKey}`);
      return;
    }
    if (!parsed.ok) {
      setProblem(parsed.message);
      return;
    }
    setProblem(null);
    setSaving(true);
    try {
      await api.savePreference(draft.key, parsed.value);
      onSaved(draft.key);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setSaving(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save();
  };

  return (
    <form className="form" onSubmit={submit} aria-describedby={problem ? 'preference-problem' : undefined}>
      <div className="field">
        <label htmlFor="preference-key">Key</label>
        <input
          id="preference-key"
          name="preference_key"
          value={draft.key}
          onChange={(event) => onChange({ ...draft, key: event.target.value })}
          maxLength={255}
          autoComplete="off"
          required
        />
      </div>

      <fieldset className="field">
        <legend>Value type</legend>
        <label className="inline-choice">
          <input
            type="radio"
            name="value_format"
            value="text"
            checked={draft.format === 'text'}
            onChange={() => onChange({ ...draft, format: 'text' })}
          />
          Text
        </label>
        <label className="inline-choice">
          <input
            type="radio"
            name="value_format"
            value="json"
            checked={draft.format === 'json'}
            onChange={() => onChange({ ...draft, format: 'json' })}
          />
          JSON
        </label>
      </fieldset>

      <div className="field">
        <label htmlFor="preference-value">Value</label>
        <textarea
          id="preference-value"
          name="preference_value"
          rows={4}
          value={draft.text}
          onChange={(event) => onChange({ ...draft, text: event.target.value })}
          spellCheck={false}
        />
      </div>

      {problem && (
        <p id="preference-problem" className="field-problem" role="alert">
          {problem}
        </p>
      )}
      {error && <ErrorNotice error={error} onRetry={() => void save()} />}

      <button type="submit" className="button button-primary" disabled={saving}>
        {saving ? 'Saving…' : 'Save preference'}
      </button>
    </form>
  );
}
