import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { markReady } from '../ready';
import { replaceQuery, type Route } from '../router';
import { BandChip, ContactLink, Loading, Pager, Problem, relative, score, Scroll, useLoad, usePager, VipTag } from '../ui';

/** Find contacts: by id or name prefix, optionally scored and sorted in a published profile. */
export function ContactsPage({ route }: { route: Route }) {
  const [query, setQuery] = useState(route.query.get('q') ?? '');
  const [typed, setTyped] = useState(query);
  const [profileId, setProfileId] = useState(route.query.get('profile') ?? '');
  const [sort, setSort] = useState(route.query.get('sort') ?? '');
  const pager = usePager();
  const profiles = useLoad(() => api.profiles(), []);
  const published = (profiles.data?.items ?? []).filter((profile) => profile.live && profile.status !== 'archived');

  useEffect(() => {
    if (typed.trim() === query) return;
    const timer = setTimeout(() => {
      setQuery(typed.trim());
      pager.reset();
      replaceQuery({ q: typed.trim() || undefined });
    }, 250);
    return () => clearTimeout(timer);
  }, [typed]);

  const sorts = profileId
    ? ['-score', 'score', 'id', '-lastInteractionAt', 'lastInteractionAt']
    : ['id', '-lastInteractionAt', 'lastInteractionAt'];
  const effectiveSort = sorts.includes(sort) ? sort : sorts[0];
  const page = useLoad(async () => {
    const answer = await api.contacts({
      q: query || undefined,
      profileId: profileId || undefined,
      sort: effectiveSort,
      limit: 25,
      cursor: pager.cursor,
    });
    markReady('contacts');
    return answer;
  }, [query, profileId, effectiveSort, pager.cursor]);
  const sortLabels: Record<string, string> = {
    '-score': 'highest score first',
    score: 'lowest score first',
    id: 'id',
    '-lastInteractionAt': 'most recent interaction first',
    lastInteractionAt: 'oldest interaction first',
  };

  return (
    <section>
      <h1 tabIndex={-1}>Contacts</h1>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <div class="field grow">
          <label for="contact-search">Id or name starts with</label>
          <input
            id="contact-search"
            type="search"
            value={typed}
            autocomplete="off"
            onInput={(event) => setTyped((event.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="contact-profile">Score in</label>
          <select
            id="contact-profile"
            value={profileId}
            onChange={(event) => {
              const value = (event.target as HTMLSelectElement).value;
              setProfileId(value);
              pager.reset();
              replaceQuery({ profile: value || undefined });
            }}
          >
            <option value="">(no profile)</option>
            {published.map((profile) => (
              <option key={profile.id} value={profile.id}>
                {profile.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="contact-sort">Sort by</label>
          <select
            id="contact-sort"
            value={effectiveSort}
            onChange={(event) => {
              const value = (event.target as HTMLSelectElement).value;
              setSort(value);
              pager.reset();
              replaceQuery({ sort: value });
            }}
          >
            {sorts.map((value) => (
              <option key={value} value={value}>
                {sortLabels[value]}
              </option>
            ))}
          </select>
        </div>
      </form>
      <Problem error={page.error} context="Could not list the contacts" />
      {page.loading && !page.data && <Loading what="contacts" />}
      {page.data && page.data.items.length === 0 && <p>No contact matches.</p>}
      {page.data && page.data.items.length > 0 && (
        <Scroll label="Contacts">
          <table>
            <caption class="sr-only">Contacts</caption>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                {profileId && (
                  <th scope="col" class="num">
                    Score
                  </th>
                )}
                {profileId && <th scope="col">Band</th>}
                <th scope="col">Account</th>
                <th scope="col">Tags</th>
                <th scope="col">Last interaction</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((contact) => (
                <tr key={contact.id}>
                  <th scope="row">
                    <ContactLink id={contact.id} name={contact.name} /> <VipTag tags={contact.tags} />
                  </th>
                  {profileId && <td class="num">{score(contact.score)}</td>}
                  {profileId && (
                    <td>
                      <BandChip band={contact.band} />
                    </td>
                  )}
                  <td>
                    {contact.accountId ? <a href={`#/accounts/${encodeURIComponent(contact.accountId)}`}>{contact.accountId}</a> : '—'}
                  </td>
                  <td>{contact.tags.filter((tag) => tag !== 'vip').join(', ') || '—'}</td>
                  <td>{contact.lastInteractionAt ? `${contact.lastInteractionType ?? ''} ${relative(contact.lastInteractionAt)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <Pager pager={pager} nextCursor={page.data?.nextCursor} label="Contacts" />
    </section>
  );
}
