import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler, storedKey, storeKey } from './api';
import { AccountPage } from './pages/Account';
import { ContactPage } from './pages/Contact';
import { ContactsPage } from './pages/Contacts';
import { DashboardPage } from './pages/Dashboard';
import { ProfileEditorPage } from './pages/ProfileEditor';
import { ProfilesPage } from './pages/Profiles';
import { SegmentPage, SegmentsPage } from './pages/Segments';
import { SignIn } from './pages/SignIn';
import { TriggersPage, SubscriptionPage } from './pages/Triggers';
import { VersionsPage } from './pages/Versions';
import { navigate, useRoute, type Route } from './router';
import { SessionContext, sessionOf, type Session } from './session';
import type { Me } from './types';
import { toApiError } from './ui';

function Page({ route }: { route: Route }) {
  const [first, second, third] = route.path;
  switch (first) {
    case undefined:
    case 'profiles':
      if (!second) return <ProfilesPage />;
      if (second === 'new') return <ProfileEditorPage id={null} key="new" />;
      if (third === 'versions') return <VersionsPage id={second} key={`versions-${second}`} />;
      return <ProfileEditorPage id={second} key={second} />;
    case 'dashboard':
      return <DashboardPage profileId={second} days={Number(route.query.get('days') ?? 7)} key={second ?? 'default'} />;
    case 'contacts':
      return second ? (
        <ContactPage id={second} key={second} profileId={route.query.get('profile') ?? undefined} />
      ) : (
        <ContactsPage route={route} />
      );
    case 'accounts':
      return second ? <AccountPage id={second} key={second} profileId={route.query.get('profile') ?? undefined} /> : <NotFound />;
    case 'segments':
      return second ? <SegmentPage id={second} key={second} /> : <SegmentsPage />;
    case 'triggers':
      return second ? <SubscriptionPage id={second} key={second} /> : <TriggersPage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <section>
      <h1 tabIndex={-1}>Nothing here</h1>
      <p>
        This address names no page of the console. <a href="#/profiles">Go to the profiles</a>.
      </p>
    </section>
  );
}

const sections = [
  { href: '#/profiles', label: 'Profiles', match: 'profiles' },
  { href: '#/dashboard', label: 'Dashboard', match: 'dashboard' },
  { href: '#/contacts', label: 'Contacts', match: 'contacts' },
  { href: '#/segments', label: 'Segments', match: 'segments' },
  { href: '#/triggers', label: 'Triggers', match: 'triggers' },
];

function Shell({ session, route }: { session: Session; route: Route }) {
  const main = useRef<HTMLElement>(null);
  const current = route.path[0] ?? 'profiles';
  const routeKey = route.path.join('/');
  // A new page: focus its heading, so keyboard and screen-reader users start there.
  const firstRender = useRef(true);
  useEffect(() => {
    // The next page says when its data is shown (see ready.ts).
    delete document.documentElement.dataset.ready;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    // Pages show "Loading…" first: focus the heading as soon as it appears.
    const area = main.current;
    if (!area) return;
    const focusHeading = () => {
      const heading = area.querySelector<HTMLElement>('h1');
      if (!heading) return false;
      heading.focus();
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => focusHeading() && observer.disconnect());
    observer.observe(area, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 5000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [routeKey]);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          main.current?.querySelector<HTMLElement>('h1')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/profiles">
          Engagement Score
        </a>
        <nav aria-label="Sections">
          <ul>
            {sections.map((section) => (
              <li key={section.href}>
                <a
                  href={section.href}
                  aria-current={current === section.match || (current === 'accounts' && section.match === 'contacts') ? 'page' : undefined}
                >
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={session.me.key.name ?? undefined}>
            {session.me.workspace.name} · <span class={`role role-${session.me.role}`}>{session.me.role}</span>
          </span>
          <button type="button" class="link" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main}>
        <Page route={route} />
      </main>
    </>
  );
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = (message?: string) => {
    storeKey(null);
    setMe(null);
    setNotice(message ?? 'Signed out. The key was removed from this tab.');
  };

  useEffect(() => {
    setUnauthorizedHandler((error) => signOut(`The service no longer accepts this key (${error.detail}) Sign in again.`));
    const key = storedKey();
    if (!key) return;
    api.me().then(
      (answer) => {
        setMe(answer);
        setChecking(false);
      },
      (error: unknown) => {
        const problem = toApiError(error);
        if (problem.status === 401) storeKey(null);
        setNotice(
          problem.status === 401
            ? 'The key kept in this tab is no longer accepted: sign in again.'
            : `Could not check the key kept in this tab: ${problem.detail}`,
        );
        setChecking(false);
      },
    );
  }, []);

  if (checking) {
    return (
      <p class="loading" role="status">
        Checking your key…
      </p>
    );
  }
  if (!me) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(answer) => {
          setNotice(null);
          setMe(answer);
          if (!location.hash || location.hash === '#/' || location.hash.startsWith('#/signin')) navigate('#/profiles');
        }}
      />
    );
  }
  const session = sessionOf(me, signOut);
  return (
    <SessionContext.Provider value={session}>
      <Shell session={session} route={route} />
    </SessionContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
