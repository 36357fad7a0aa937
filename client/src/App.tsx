// The app shell: header, navigation and the page for the current path.

import { type ReactNode, useEffect, useRef } from 'react';

import { Header, type NavItem } from './components/Header';
import { AdminPage } from './pages/AdminPage';
import { CatalogPage } from './pages/CatalogPage';
import { ModelsPage } from './pages/ModelsPage';
import { PreferencesPage } from './pages/PreferencesPage';
import { ProfilePage } from './pages/ProfilePage';
import { Link, useLocation } from './router/router';
import { SessionProvider, useSession } from './session';

const PAGES: Record<string, { label: string; render: () => ReactNode }> = {
  '/': { label: 'Profile', render: () => <ProfilePage /> },
  '/preferences': { label: 'Preferences', render: () => <PreferencesPage /> },
  '/catalog': { label: 'Catalog', render: () => <CatalogPage /> },
  '/models': { label: 'Models', render: () => <ModelsPage /> },
  '/admin': { label: 'Admin', render: () => <AdminPage /> },
};

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

function Shell() {
  const { path } = useLocation();
  const { isAdmin } = useSession();
  const items: NavItem[] = Object.entries(PAGES)
    .filter(([pagePath]) => pagePath !== '/admin' || isAdmin === true)
    .map(([pagePath, page]) => ({ path: pagePath, label: page.label }));
  const page = PAGES[path];
  const main = useRef<HTMLElement>(null);
  const initialPath = useRef(path);
  const hasNavigated = useRef(false);

  // After a client-side navigation, move focus to the new page so that keyboard and screen reader
  // users start reading there, as they would after a full page load.
  useEffect(() => {
    if (!hasNavigated.current && path === initialPath.current) {
      return;
    }
    hasNavigated.current = true;
    main.current?.focus();
  }, [path]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header items={items} />
      <main id="main" ref={main} tabIndex={-1}>
        {page ? page.render() : <NotFound path={path} />}
      </main>
    </>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Go to your profile</Link>.
      </p>
    </>
  );
}
