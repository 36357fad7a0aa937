// Converts between a preference's JSON value and the text in the editor.

import type { JsonValue } from '../api/types';

/** Format of the editor's text: JSON to parse, or plain text kept as a string. */
export type ValueFormat = 'json' | 'text';

/** Longest serialised value the server stores, in bytes. */
export const MAX_VALUE_BYTES = 10_000;

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;

export type Parsed = { ok: true; value: JsonValue } | { ok: false; message: string };

/** Returns why `key` is not a valid preference key, or `null` when it is. */
export function keyProblem(key: string): string | null {
  if (KEY_PATTERN.test(key)) {
    return null;
  }
  return 'Use 1–255 characters: letters, digits, and _ . : -';
}

export function parseValue(text: string, format: ValueFormat): Parsed {
  let value: JsonValue = text;
  if (format === 'json') {
    try {
      value = JSON.parse(text) as JsonValue;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `The value is not valid JSON: ${reason}` };
    }
  }
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > MAX_VALUE_BYTES) {
    return { ok: false, message: `The value takes ${bytes} bytes as JSON; the limit is ${MAX_VALUE_BYTES}.` };
  }
  return { ok: true, value };
}

/** Returns the editor text and format that show `value` unchanged. */
export function editorText(value: JsonValue): { text: string; format: ValueFormat } {
  if (typeof value === 'string') {
    return { text: value, format: 'text' };
  }
  return { text: JSON.stringify(value, null, 2), format: 'json' };
}

/** Formats a value for the list: strings as they are, anything else as compact JSON. */
export function displayValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
