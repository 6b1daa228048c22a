import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, storeKey } from '../api';
import type { Me } from '../types';
import { toApiError } from '../ui';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (me: Me) => void; notice: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const typed = key.trim();
    if (!typed) {
      setError(new ApiError(0, { title: 'No key', detail: 'Paste an API key first.' }));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await api.me(typed);
      storeKey(typed);
      onSignedIn(me);
    } catch (caught) {
      setError(toApiError(caught));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <h1>Engagement Score</h1>
      <p class="lede">Admin console: write, try and publish score profiles, and watch the network’s health.</p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey((event.target as HTMLInputElement).value)}
          aria-describedby={error ? 'api-key-error api-key-help' : 'api-key-help'}
          aria-invalid={error ? true : undefined}
        />
        {error && (
          <p class="field-error" id="api-key-error" role="alert">
            {error.status === 401 ? 'This key is not accepted: ' : ''}
            {error.detail}
          </p>
        )}
        <p class="help" id="api-key-help">
          The admin key is printed once by the first <code>npm start</code>; make others with{' '}
          <code>npm run keys -- create --workspace default --role reader</code>. The key stays in this browser tab only (session storage)
          and is sent to this service’s <code>/v1</code> API, nowhere else.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
