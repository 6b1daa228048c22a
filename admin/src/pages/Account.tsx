import { api, ApiError } from '../api';
import { markReady } from '../ready';
import { navigate } from '../router';
import type { AccountRelationships, MemberStrength, Profile } from '../types';
import { BandChip, ContactLink, dateTime, Loading, Problem, score, Scroll, Trend, useLoad } from '../ui';

/** An account: its score rolled up from its contacts, trend, contacts and who knows them. */
export function AccountPage({ id, profileId }: { id: string; profileId?: string }) {
  const profiles = useLoad(() => api.profiles(), []);
  const published = (profiles.data?.items ?? []).filter((profile) => profile.live && profile.status !== 'archived');
  const loaded = useLoad(async (): Promise<AccountRelationships | null> => {
    if (!profiles.data) return null;
    let answer: AccountRelationships;
    try {
      answer = await api.accountRelationships(id, profileId);
    } catch (error) {
      // No relationship profile to default to: use the first published profile.
      const fallback = published[0];
      if (!(error instanceof ApiError && error.status === 400 && !profileId && fallback)) throw error;
      answer = await api.accountRelationships(id, fallback.id);
    }
    markReady('account');
    return answer;
  }, [id, profileId, profiles.data]);
  const data = loaded.data;
  const profile = published.find((item) => item.id === data?.profileId);

  return (
    <section>
      <h1 tabIndex={-1}>Account {id}</h1>
      <Problem error={profiles.error} context="Could not list the profiles" />
      <Problem error={loaded.error} context="Could not load the account" />
      {published.length > 0 && (
        <div class="filters">
          <div class="field">
            <label for="account-profile">Profile</label>
            <select
              id="account-profile"
              value={data?.profileId ?? profileId ?? ''}
              onChange={(event) => navigate(`#/accounts/${encodeURIComponent(id)}?profile=${(event.target as HTMLSelectElement).value}`)}
            >
              {published.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}
      {loaded.loading && !data && <Loading what="the account" />}
      {data && <AccountView data={data} profile={profile} />}
    </section>
  );
}

function MembersCell({ members }: { members: MemberStrength[] }) {
  if (members.length === 0) return <span class="muted">nobody</span>;
  return <>{members.map((member) => `${member.name ?? member.actorId} (${score(member.strength)})`).join(', ')}</>;
}

function AccountView({ data, profile }: { data: AccountRelationships; profile?: Profile }) {
  return (
    <>
      <div class="cards">
        <div class="card">
          <h2>Roll-up score</h2>
          <p class="big-figure">{score(data.score)}</p>
          <p>
            <BandChip band={data.band} />
          </p>
          <p class="muted">
            Weighted mean of the five best contacts (weights 5, 4, 3, 2, 1) in {profile?.name ?? 'the profile'}, as of{' '}
            {dateTime(data.computedAt)}.
          </p>
        </div>
        <div class="card">
          <h2>Trend</h2>
          <p>
            <Trend value={data.trend.delta7d} label="over 7 days" />
          </p>
          <p>
            <Trend value={data.trend.delta30d} label="over 30 days" />
          </p>
        </div>
        <div class="card">
          <h2>Contacts</h2>
          <p class="big-figure">{data.contacts}</p>
        </div>
      </div>
      <h2>Contacts and who knows them</h2>
      <Scroll label="Contacts of the account">
        <table>
          <caption class="sr-only">Contacts of the account, best first, with their three strongest team members</caption>
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col" class="num">
                Score
              </th>
              <th scope="col">Band</th>
              <th scope="col">Strongest team members</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((item) => (
              <tr key={item.contactId}>
                <th scope="row">
                  <ContactLink id={item.contactId} name={item.name} />
                </th>
                <td class="num">{score(item.score)}</td>
                <td>
                  <BandChip band={item.band} />
                </td>
                <td>
                  <MembersCell members={item.members} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      <h2>The account’s strongest team members</h2>
      {data.members.length === 0 ? (
        <p class="muted">No team member has interacted with this account’s contacts.</p>
      ) : (
        <Scroll label="Team members of the account">
          <table class="members">
            <caption class="sr-only">Team members by strength over all the account’s contacts</caption>
            <thead>
              <tr>
                <th scope="col">Team member</th>
                <th scope="col">Strength</th>
                <th scope="col" class="num">
                  Share
                </th>
                <th scope="col" class="num">
                  Interactions
                </th>
              </tr>
            </thead>
            <tbody>
              {data.members.map((member) => (
                <tr key={member.actorId}>
                  <th scope="row">{member.name ?? member.actorId}</th>
                  <td>
                    <span class="meter" aria-hidden="true">
                      <span style={{ width: `${Math.max(0, Math.min(100, member.strength))}%` }} />
                    </span>{' '}
                    {score(member.strength)}
                  </td>
                  <td class="num">{score(member.share)} %</td>
                  <td class="num">{member.interactions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </>
  );
}
