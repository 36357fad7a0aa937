// The page header: the app's name, navigation, who the page acts as and, in development, the
// user switcher.

import { useLocation, Link } from '../router/router';
import { useSession } from '../session';
import { UserSwitcher } from './UserSwitcher';

export interface NavItem {
  path: string;
  label: string;
}

export function Header({ items }: { items: NavItem[] }) {
  const { path } = useLocation();

  return (
    <header className="app-header">
      <div className="header-row">
        <Link href="/" className="brand">
          Databricks OBO App
        </Link>
        <SignedInAs />
      </div>
      <nav aria-label="Main">
        <ul className="nav-list">
          {items.map((item) => (
            <li key={item.path}>
              <Link href={item.path} aria-current={item.path === path ? 'page' : undefined} className="nav-link">
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <UserSwitcher />
    </header>
  );
}

function SignedInAs() {
  const { me, auth } = useSession();
  const mode = auth.state.status === 'success' ? auth.state.data.auth_mode : null;

  let who: string;
  if (me.state.status === 'loading') {
    who = 'Checking who you are…';
  } else if (me.state.status === 'error') {
    who = 'Identity unavailable';
  } else {
    const user = me.state.data;
    who = user.display_name ? `${user.display_name} (${user.user_id})` : user.user_id;
  }

  return (
    <p className="signed-in" data-testid="signed-in-user">
      <span className="signed-in-label">Signed in as </span>
      <strong>{who}</strong>
      {mode && <span className={`badge badge-${mode}`}>{mode === 'obo' ? 'your identity' : 'service principal'}</span>}
    </p>
  );
}
