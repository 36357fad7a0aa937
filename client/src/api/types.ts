// Response shapes of the app server's HTTP API.

export type AuthMode = 'obo' | 'service_principal';

export interface AuthStatus {
  authenticated: boolean;
  auth_mode: AuthMode;
  has_user_identity: boolean;
  user_id: string | null;
  /** Scopes the user's token carries, when the server reports them. */
  scopes?: string[] | null;
  /** Scopes the app requests but the token lacks, when the server reports them. */
  missing_scopes?: string[] | null;
}

export interface UserInfo {
  user_id: string;
  display_name: string | null;
  active: boolean;
  workspace_url: string;
}

export interface WorkspaceInfo {
  workspace_id: string | null;
  workspace_url: string;
  workspace_name: string;
}

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

export interface Preference {
  preference_key: string;
  preference_value: JsonValue;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_page_token: string | null;
}

export interface CatalogInfo {
  name: string;
  full_name?: string;
  comment?: string | null;
  owner?: string | null;
  catalog_type?: string | null;
}

export interface SchemaInfo {
  name: string;
  full_name?: string;
  catalog_name?: string;
  comment?: string | null;
  owner?: string | null;
}

export interface ColumnInfo {
  name: string;
  type_text?: string | null;
  type_name?: string | null;
  position?: number | null;
  nullable?: boolean | null;
  comment?: string | null;
}

export interface TableInfo {
  name: string;
  full_name?: string;
  catalog_name?: string;
  schema_name?: string;
  table_type?: string | null;
  data_source_format?: string | null;
  comment?: string | null;
  owner?: string | null;
  columns?: ColumnInfo[] | null;
}

/** An endpoint's state: a plain string, or the workspace's `{ready, config_update}` object. */
export type EndpointState = string | { ready?: string | null; config_update?: string | null };

export interface ServingEndpoint {
  name: string;
  state?: EndpointState | null;
  task?: string | null;
  creator?: string | null;
  permission_level?: string | null;
}

export interface InvocationRequest {
  endpoint_name: string;
  inputs: JsonValue;
  timeout_seconds?: number;
}

export interface InvocationResult {
  request_id: string;
  endpoint_name: string;
  predictions: JsonValue;
  status: string;
  execution_time_ms: number;
}

export interface InvocationLog {
  request_id: string;
  endpoint_name: string;
  status: string;
  http_status?: number | null;
  latency_ms?: number | null;
  execution_time_ms?: number | null;
  error_message?: string | null;
  requested_at?: string | null;
  created_at?: string | null;
}

export interface InvocationLogPage {
  logs: InvocationLog[];
  total_count: number;
  limit: number;
  offset: number;
}

export interface OrphanedRecord {
  user_id: string;
  deactivated_at: string | null;
  preference_count?: number;
  inference_log_count?: number;
  retention_expired?: boolean;
}

export interface OrphanedRecordPage {
  records: OrphanedRecord[];
  total_count: number | null;
  page: number;
  page_size: number;
}

export interface DevUser {
  user_name: string;
  display_name: string;
  scim_id: string;
  active: boolean;
}

export interface DevUsers {
  users: DevUser[];
  selected: string | null;
}
