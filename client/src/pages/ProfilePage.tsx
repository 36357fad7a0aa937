// Profile page: the verified identity, the workspace, the authentication mode and the scopes.

import { api } from '../api/client';
import type { AuthStatus, UserInfo, WorkspaceInfo } from '../api/types';
import { AsyncView } from '../components/AsyncView';
import { useApi } from '../hooks/useApi';
import { useSession } from '../session';

export function ProfilePage() {
  const { me, auth } = useSession();
  const workspace = useApi((signal) => api.workspace(signal), []);

  return (
    <>
      <h1>Profile</h1>
      <section className="card" aria-labelledby="identity-heading">
        <h2 id="identity-heading">Identity</h2>
        <AsyncView resource={me} what="your identity">
          {(user) => <Identity user={user} />}
        </AsyncView>
      </section>
      <section className="card" aria-labelledby="auth-heading">
        <h2 id="auth-heading">Authentication</h2>
        <AsyncView resource={auth} what="the authentication status">
          {(status) => <Authentication status={status} />}
        </AsyncView>
      </section>
      <section className="card" aria-labelledby="workspace-heading">
        <h2 id="workspace-heading">Workspace</h2>
        <AsyncView resource={workspace} what="the workspace">
          {(info) => <Workspace info={info} />}
        </AsyncView>
      </section>
    </>
  );
}

function Identity({ user }: { user: UserInfo }) {
  return (
    <dl className="facts" data-testid="identity">
      <dt>User</dt>
      <dd>{user.user_id}</dd>
      <dt>Display name</dt>
      <dd>{user.display_name ?? 'not set'}</dd>
      <dt>Status</dt>
      <dd>{user.active ? 'active' : 'deactivated'}</dd>
    </dl>
  );
}

function Authentication({ status }: { status: AuthStatus }) {
  const obo = status.auth_mode === 'obo';
  return (
    <>
      <dl className="facts">
        <dt>Mode</dt>
        <dd>
          {obo
            ? 'On behalf of the user: workspace calls use your own access token.'
            : 'Service principal: no user token was sent, so workspace calls use the app’s own identity.'}
        </dd>
        <dt>Verified user</dt>
        <dd>{status.user_id ?? 'none'}</dd>
        <dt>Granted scopes</dt>
        <dd>
          <ScopeList scopes={status.scopes} />
        </dd>
        <dt>Missing scopes</dt>
        <dd>
          <ScopeList scopes={status.missing_scopes} emptyText="none" />
        </dd>
      </dl>
      {status.missing_scopes && status.missing_scopes.length > 0 && (
        <p className="notice notice-warning" role="note">
          Your token lacks {status.missing_scopes.join(', ')}. Pages that need these scopes will show a
          permission error until the app’s user authorization includes them and you sign in again.
        </p>
      )}
    </>
  );
}

function ScopeList({ scopes, emptyText = 'none' }: { scopes: string[] | null | undefined; emptyText?: string }) {
  if (scopes === undefined || scopes === null) {
    return <span className="muted">not reported by the server</span>;
  }
  if (scopes.length === 0) {
    return <span>{emptyText}</span>;
  }
  return (
    <ul className="inline-list">
      {scopes.map((scope) => (
        <li key={scope}>
          <code>{scope}</code>
        </li>
      ))}
    </ul>
  );
}

function Workspace({ info }: { info: WorkspaceInfo }) {
  return (
    <dl className="facts" data-testid="workspace">
      <dt>Name</dt>
      <dd>{info.workspace_name || 'unknown'}</dd>
      <dt>ID</dt>
      <dd>{info.workspace_id ?? 'unknown'}</dd>
      <dt>URL</dt>
      <dd>
        <code>{info.workspace_url}</code>
      </dd>
    </dl>
  );
}
