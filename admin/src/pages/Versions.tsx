import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { DiffView, pretty } from '../diff';
import { markReady } from '../ready';
import { article, useSession } from '../session';
import type { Profile, ProfileVersion } from '../types';
import { dateTime, Loading, Problem, RoleNote, Scroll, toApiError, useLoad } from '../ui';

/** Every published version: view one, compare two side by side, restore one as the draft. */
export function VersionsPage({ id }: { id: string }) {
  const session = useSession();
  const loaded = useLoad(async () => {
    const [profile, versions] = await Promise.all([api.profile(id), api.versions(id)]);
    markReady('versions');
    return { profile, versions: versions.items };
  }, [id]);
  const [viewing, setViewing] = useState<number | null>(null);
  const [left, setLeft] = useState<string | null>(null);
  const [right, setRight] = useState<string | null>(null);
  const [restoreError, setRestoreError] = useState<{ version: number; error: ApiError } | null>(null);
  const [restored, setRestored] = useState<{ version: number; profile: Profile } | null>(null);

  if (loaded.error) {
    return (
      <section>
        <h1 tabIndex={-1}>Versions</h1>
        <Problem error={loaded.error} context="Could not load the versions" />
      </section>
    );
  }
  if (!loaded.data) return <Loading what="versions" />;
  const { profile, versions } = loaded.data;
  const documentOf = (key: string): { title: string; text: string } | null => {
    if (key === 'draft') return { title: `Current draft (revision ${profile.revision})`, text: pretty(profile.draft) };
    const version = versions.find((item) => String(item.version) === key);
    return version ? { title: `Version ${version.version}`, text: pretty(version.document) } : null;
  };
  const leftKey = left ?? (versions[1] ? String(versions[1].version) : versions[0] ? String(versions[0].version) : 'draft');
  const rightKey = right ?? (versions[1] ? String(versions[0].version) : 'draft');
  const a = documentOf(leftKey);
  const b = documentOf(rightKey);
  const options = [
    { key: 'draft', label: `Current draft (revision ${profile.revision})` },
    ...versions.map((version) => ({ key: String(version.version), label: `Version ${version.version} (${version.state})` })),
  ];

  const restore = async (version: ProfileVersion) => {
    setRestoreError(null);
    setRestored(null);
    try {
      const updated = await api.restore(profile.id, version.version, profile.revision);
      setRestored({ version: version.version, profile: updated });
      loaded.reload();
    } catch (caught) {
      setRestoreError({ version: version.version, error: toApiError(caught) });
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Versions of {profile.name}</h1>
      <p class="meta">
        <a href={`#/profiles/${profile.id}`}>Back to the editor</a>
        {profile.live && (
          <>
            {' · '}
            <a href={`#/dashboard/${profile.id}`}>Dashboard</a>
          </>
        )}
      </p>
      {!session.canAdmin && <RoleNote>Restoring a version needs an admin key; this is {article(session.me.role)} key.</RoleNote>}
      {restored && (
        <p class="success" role="status">
          Version {restored.version} is the draft again (revision {restored.profile.revision}).{' '}
          <a href={`#/profiles/${profile.id}`}>Open the editor</a> to try and publish it.
        </p>
      )}
      {versions.length === 0 ? (
        <p>No version yet: this profile has never been published.</p>
      ) : (
        <Scroll label="Versions">
          <table>
            <caption class="sr-only">Published versions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Published</th>
                <th scope="col">By</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.map((version) => (
                <tr key={version.version}>
                  <th scope="row">{version.version}</th>
                  <td>
                    <span class={`status status-${version.state}`}>{version.state}</span>
                  </td>
                  <td>{dateTime(version.publishedAt ?? version.createdAt)}</td>
                  <td>{version.publishedBy ?? '—'}</td>
                  <td class="links">
                    <button
                      type="button"
                      onClick={() => setViewing(viewing === version.version ? null : version.version)}
                      aria-expanded={viewing === version.version}
                    >
                      {viewing === version.version ? 'Hide' : 'View'} <span class="sr-only">version {version.version}</span>
                    </button>{' '}
                    {session.canAdmin && profile.status !== 'archived' && (
                      <button type="button" onClick={() => void restore(version)}>
                        Restore as draft <span class="sr-only">(version {version.version})</span>
                      </button>
                    )}
                    {restoreError?.version === version.version && (
                      <Problem error={restoreError.error} context={`Version ${version.version} not restored`} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {viewing !== null && (
        <section aria-labelledby="view-heading">
          <h2 id="view-heading">Version {viewing}</h2>
          <Scroll label={`Document of version ${viewing}`} extraClass="document-scroll">
            <pre class="document">{pretty(versions.find((version) => version.version === viewing)?.document)}</pre>
          </Scroll>
        </section>
      )}
      {versions.length > 0 && (
        <section aria-labelledby="compare-heading">
          <h2 id="compare-heading">Compare</h2>
          <div class="compare-pick">
            <div class="field">
              <label for="compare-left">Left</label>
              <select id="compare-left" value={leftKey} onChange={(event) => setLeft((event.target as HTMLSelectElement).value)}>
                {options.map((option) => (
                  <option key={option.key} value={option.key}>
                    {option.label}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="compare-right">Right</label>
              <select id="compare-right" value={rightKey} onChange={(event) => setRight((event.target as HTMLSelectElement).value)}>
                {options.map((option) => (
                  <option key={option.key} value={option.key}>
                    {option.label}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {a && b && (
            <DiffView left={a.text} right={b.text} leftTitle={a.title} rightTitle={b.title} caption={`${a.title} next to ${b.title}`} />
          )}
        </section>
      )}
    </section>
  );
}
