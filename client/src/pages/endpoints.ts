// Helpers for Model Serving endpoints: their state and a sample request body per task.

import type { EndpointState, JsonValue } from '../api/types';

/** Returns the readiness of an endpoint (`READY`, `NOT_READY`, …), whichever shape the state has. */
export function endpointReadiness(state: EndpointState | null | undefined): string {
  if (!state) {
    return 'UNKNOWN';
  }
  if (typeof state === 'string') {
    return state;
  }
  return state.ready ?? 'UNKNOWN';
}

const CHAT_SAMPLE: JsonValue = {
  messages: [{ role: 'user', content: 'What does Unity Catalog govern?' }],
  max_tokens: 128,
};

const CUSTOM_MODEL_SAMPLE: JsonValue = {
  dataframe_records: [{ text: 'I love this product' }, { text: 'The delivery was terrible' }],
};

/** Returns a request body that fits an endpoint of `task`; custom models have no task. */
export function samplePayload(task: string | null | undefined): JsonValue {
  switch (task) {
    case 'llm/v1/chat':
    case 'agent/v1/chat':
    case 'agent/v2/chat':
      return CHAT_SAMPLE;
    case 'llm/v1/completions':
      return { prompt: 'Unity Catalog is', max_tokens: 64 };
    case 'llm/v1/embeddings':
      return { input: ['Unity Catalog governs data and AI assets.'] };
    default:
      return CUSTOM_MODEL_SAMPLE;
  }
}
