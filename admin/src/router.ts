import { useEffect, useState } from 'preact/hooks';

/** Hash routing: #/profiles/…; the service serves the same page for every path under /admin/. */
export type Route = { path: string[]; query: URLSearchParams };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  return {
    path: pathPart
      .split('/')
      .filter(Boolean)
      .map((segment) => decodeURIComponent(segment)),
    query: new URLSearchParams(queryPart),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  if (location.hash === hash) dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** Replaces the query part of the current route without adding a history entry per keystroke. */
export function replaceQuery(params: Record<string, string | undefined>): void {
  const route = parseHash(location.hash);
  const query = new URLSearchParams(route.query);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') query.delete(name);
    else query.set(name, value);
  }
  const text = query.toString();
  history.replaceState(null, '', `#/${route.path.map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`);
}
