// Typed functions for every app server route the pages use. Pages call these, never `fetch`.

import { ApiError } from './errors';
import { request } from './http';
import type {
  AuthStatus,
  CatalogInfo,
  DevUsers,
  InvocationLogPage,
  InvocationRequest,
  InvocationResult,
  JsonValue,
  OrphanedRecord,
  OrphanedRecordPage,
  Page,
  Preference,
  SchemaInfo,
  ServingEndpoint,
  TableInfo,
  UserInfo,
  WorkspaceInfo,
} from './types';

type Signal = AbortSignal | undefined;

/** Rows per page of the catalog browser. */
export const CATALOG_PAGE_SIZE = 25;

const segment = encodeURIComponent;

export const api = {
  authStatus: (signal?: Signal) => request<AuthStatus>('/api/auth/status', { signal }),
  me: (signal?: Signal) => request<UserInfo>('/api/user/me', { signal }),
  workspace: (signal?: Signal) => request<WorkspaceInfo>('/api/user/me/workspace', { signal }),

  listPreferences: (signal?: Signal) => request<Preference[]>('/api/preferences', { signal }),
  savePreference: (key: string, value: JsonValue) =>
    request<Preference>('/api/preferences', {
      method: 'POST',
      body: { preference_key: key, preference_value: value },
    }),
  deletePreference: (key: string) =>
    request<undefined>(`/api/preferences/${segment(key)}`, { method: 'DELETE' }),

  listCatalogs: (pageToken: string | null, signal?: Signal) =>
    request<Page<CatalogInfo>>('/api/unity-catalog/catalogs', {
      query: { page_token: pageToken, max_results: CATALOG_PAGE_SIZE },
      signal,
    }),
  listSchemas: (catalog: string, pageToken: string | null, signal?: Signal) =>
    request<Page<SchemaInfo>>(`/api/unity-catalog/catalogs/${segment(catalog)}/schemas`, {
      query: { page_token: pageToken, max_results: CATALOG_PAGE_SIZE },
      signal,
    }),
  listTables: (catalog: string, schema: string, pageToken: string | null, signal?: Signal) =>
    request<Page<TableInfo>>(
      `/api/unity-catalog/catalogs/${segment(catalog)}/schemas/${segment(schema)}/tables`,
      { query: { page_token: pageToken, max_results: CATALOG_PAGE_SIZE }, signal },
    ),
  getTable: (fullName: string, signal?: Signal) =>
    request<TableInfo>(`/api/unity-catalog/tables/${segment(fullName)}`, { signal }),

  listEndpoints: (signal?: Signal) =>
    request<ServingEndpoint[]>('/api/model-serving/endpoints', { signal }),
  invoke: (invocation: InvocationRequest) =>
    request<InvocationResult>('/api/model-serving/invoke', { method: 'POST', body: invocation }),
  invocationLogs: (limit: number, offset: number, signal?: Signal) =>
    request<InvocationLogPage>('/api/model-serving/logs', { query: { limit, offset }, signal }),

  orphanedRecords: (page: number, pageSize: number, signal?: Signal) =>
    request<Record<string, unknown>>('/api/admin/orphaned-records', {
      query: { page, page_size: pageSize },
      signal,
    }).then((body) => toOrphanedRecordPage(body, page, pageSize)),
  // The empty JSON body makes the request carry `Content-Type: application/json`, which the
  // server requires of requests that change data.
  cleanup: (dryRun: boolean) =>
    request<Record<string, JsonValue>>('/api/admin/cleanup', {
      method: 'POST',
      query: { dry_run: dryRun },
      body: {},
    }),

  devUsers: (signal?: Signal) => devUsers(signal),
};

/** Path that signs the dev proxy in as `userName` and redirects to `/`. */
export function devUserSwitchPath(userName: string): string {
  return `/__dev/user/${segment(userName)}`;
}

/** Lists the dev proxy's users, or returns `null` where the server has no dev proxy (production). */
async function devUsers(signal: Signal): Promise<DevUsers | null> {
  try {
    return await request<DevUsers>('/__dev/users', { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

// The server returns the list under `items`. The first array among `records`, `items` and `users`
// is taken, so a server that names the list differently still works.
function toOrphanedRecordPage(
  body: Record<string, unknown>,
  page: number,
  pageSize: number,
): OrphanedRecordPage {
  const list = [body.records, body.items, body.users].find(Array.isArray) as OrphanedRecord[] | undefined;
  return {
    records: list ?? [],
    total_count: typeof body.total_count === 'number' ? body.total_count : null,
    page: typeof body.page === 'number' ? body.page : page,
    page_size: typeof body.page_size === 'number' ? body.page_size : pageSize,
  };
}
