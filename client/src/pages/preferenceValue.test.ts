import { describe, expect, it } from 'vitest';

import { editorText, keyProblem, MAX_VALUE_BYTES, parseValue } from './preferenceValue';

describe('keyProblem', () => {
  it('accepts the allowed characters', () => {
    expect(keyProblem('ui.theme:dark_mode-2')).toBeNull();
  });

  it('rejects empty, too long and other characters', () => {
    expect(keyProblem('')).not.toBeNull();
    expect(keyProblem('a'.repeat(256))).not.toBeNull();
    expect(keyProblem('has space')).not.toBeNull();
    expect(keyProblem('slash/key')).not.toBeNull();
  });

  it('accepts exactly 255 characters', () => {
    expect(keyProblem('a'.repeat(255))).toBeNull();
  });
});

describe('parseValue', () => {
  it('keeps text as a string', () => {
    expect(parseValue('{"not": "parsed"}', 'text')).toEqual({ ok: true, value: '{"not": "parsed"}' });
  });

  it('parses JSON', () => {
    expect(parseValue('{"size": 12}', 'json')).toEqual({ ok: true, value: { size: 12 } });
  });

  it('reports invalid JSON', () => {
    const parsed = parseValue('{size: 12}', 'json');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toMatch(/not valid JSON/);
  });

  it('rejects a value over the size limit', () => {
    const parsed = parseValue('x'.repeat(MAX_VALUE_BYTES), 'text');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toContain(String(MAX_VALUE_BYTES));
  });
});

describe('editorText', () => {
  it('edits strings as text and the rest as JSON', () => {
    expect(editorText('dark')).toEqual({ text: 'dark', format: 'text' });
    expect(editorText({ a: 1 })).toEqual({ text: '{\n  "a": 1\n}', format: 'json' });
    expect(editorText(3)).toEqual({ text: '3', format: 'json' });
  });
});
