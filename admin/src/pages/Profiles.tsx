import { useState } from 'preact/hooks';
import { api } from '../api';
import { article, useSession } from '../session';
import type { Profile } from '../types';
import { dateTime, Loading, Problem, RoleNote, Scroll, useLoad } from '../ui';
import { markReady } from '../ready';

function Status({ profile }: { profile: Profile }) {
  if (profile.status === 'archived') return <span class="status status-archived">archived</span>;
  return (
    <>
      {profile.live ? (
        <span class="status status-published">live version {profile.live.version}</span>
      ) : (
        <span class="status status-draft">draft</span>
      )}
      {profile.publishing && <span class="status status-publishing"> publishing v{profile.publishing.version}</span>}
    </>
  );
}

export function ProfilesPage() {
  const session = useSession();
  const [archived, setArchived] = useState(false);
  const profiles = useLoad(() => api.profiles(archived).then((answer) => (markReady('profiles'), answer)), [archived]);
  return (
    <section>
      <div class="title-row">
        <h1 tabIndex={-1}>Score profiles</h1>
        {session.canAdmin ? (
          <a class="button primary" href="#/profiles/new">
            New profile
          </a>
        ) : null}
      </div>
      <p class="lede">
        A profile turns interactions into a score. Edit a draft, try it on real contacts, check its impact, then publish it.
      </p>
      {!session.canAdmin && (
        <RoleNote>
          You can read every profile and try drafts; creating, editing and publishing need an admin key (this is {article(session.me.role)}{' '}
          key).
        </RoleNote>
      )}
      <label class="check">
        <input type="checkbox" checked={archived} onChange={(event) => setArchived((event.target as HTMLInputElement).checked)} /> Show
        archived profiles
      </label>
      <Problem error={profiles.error} context="Could not list the profiles" />
      {profiles.loading && !profiles.data && <Loading what="profiles" />}
      {profiles.data && profiles.data.items.length === 0 && (
        <p>No profile yet. {session.canAdmin ? <a href="#/profiles/new">Create the first one</a> : 'An admin can create the first one.'}</p>
      )}
      {profiles.data && profiles.data.items.length > 0 && (
        <Scroll label="Profiles">
          <table class="profiles">
            <caption class="sr-only">Score profiles</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Last published</th>
                <th scope="col" class="num">
                  Contacts scored
                </th>
                <th scope="col">
                  <span class="sr-only">Pages</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {profiles.data.items.map((profile) => (
                <tr key={profile.id}>
                  <th scope="row">
                    <a href={`#/profiles/${profile.id}`}>{profile.name}</a>
                  </th>
                  <td>{profile.kind}</td>
                  <td>
                    <Status profile={profile} />
                  </td>
                  <td>{profile.live ? `${dateTime(profile.live.publishedAt)} by ${profile.live.publishedBy ?? 'unknown'}` : '—'}</td>
                  <td class="num">{profile.live ? profile.live.contactsScored.toLocaleString('en') : '—'}</td>
                  <td class="links">
                    {profile.live && profile.status !== 'archived' && (
                      <a href={`#/dashboard/${profile.id}`} aria-label={`Dashboard of ${profile.name}`}>
                        Dashboard
                      </a>
                    )}{' '}
                    <a href={`#/profiles/${profile.id}/versions`} aria-label={`Versions of ${profile.name}`}>
                      Versions
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}
