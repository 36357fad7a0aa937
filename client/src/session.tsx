// The session: the principal the page acts as, loaded once and shared by the header and the profile page.

import { createContext, type ReactNode, useContext } from 'react';

import { api } from './api/client';
import type { AuthStatus, UserInfo } from './api/types';
import { type ApiResource, type ApiState, useApi } from './hooks/useApi';

export interface Session {
  me: ApiResource<UserInfo>;
  auth: ApiResource<AuthStatus>;
  /** Whether the admin API accepts this user, or `null` while the check is pending. */
  isAdmin: boolean | null;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const me = useApi((signal) => api.me(signal), []);
  const auth = useApi((signal) => api.authStatus(signal), []);
  // NOTE: the server has no "am I an admin" route, so one small orphaned-records page is the
  // probe, and the server writes an audit log line for it on every page load by an admin.
  const admin = useApi((signal) => api.orphanedRecords(1, 1, signal), []);

  const isAdmin = adminAccess(admin.state);
  return <SessionContext.Provider value={{ me, auth, isAdmin }}>{children}</SessionContext.Provider>;
}

/**
 * Decides from the admin API's response whether to show the admin page. A 5xx means the server could
 * not check, so the page is shown with that error. A 403 `ADMIN_REQUIRED`, any 4xx (no user token,
 * a rate limit, a server without the admin API) or a network failure hides it.
 */
export function adminAccess(state: ApiState<unknown>): boolean | null {
  switch (state.status) {
    case 'loading':
      return null;
    case 'success':
      return true;
    case 'error':
      return state.error.status >= 500;
  }
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) {
    throw new Error('useSession must be called inside <SessionProvider>');
  }
  return session;
}
