import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { DistributionBars, MovementTable } from '../components';
import { markReady } from '../ready';
import { navigate } from '../router';
import type { BandDefinition, Insights } from '../types';
import { BandChip, ContactLink, date, Loading, Problem, score, Scroll, signed, Trend, useLoad, VipTag } from '../ui';

/** The network review of one profile: bands now and then, histogram, average, movers, who needs attention. */

const DAY_CHOICES = [7, 14, 30, 90];

function bandOf(bands: BandDefinition[], value: number): BandDefinition | undefined {
  return bands.find((band, index) => value >= band.min && (value < band.max || (index === bands.length - 1 && value <= band.max)));
}

export function Histogram({ buckets, bands }: { buckets: Insights['histogram']; bands: BandDefinition[] }) {
  const max = Math.max(1, ...buckets.map((bucket) => bucket.count));
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return (
    <figure class="histogram">
      <figcaption>Scores now, in {buckets.length} buckets</figcaption>
      <div class="columns" aria-hidden="true">
        {buckets.map((bucket) => {
          const band = bandOf(bands, (bucket.from + bucket.to) / 2);
          return (
            <div class="column" key={bucket.from} title={`${score(bucket.from)}–${score(bucket.to)}: ${bucket.count} contacts`}>
              <span class="count">{bucket.count > 0 ? bucket.count : ''}</span>
              <span class="fill" style={{ height: `${(bucket.count / max) * 100}%`, backgroundColor: band?.color ?? '#8892a0' }} />
            </div>
          );
        })}
      </div>
      {first && last && (
        <div class="axis" aria-hidden="true">
          <span>{score(first.from)}</span>
          <span>{score((first.from + last.to) / 2)}</span>
          <span>{score(last.to)}</span>
        </div>
      )}
      <details class="as-table">
        <summary>Histogram as a table ({total} contacts)</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Scores</th>
              <th scope="col" class="num">
                Contacts
              </th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((bucket) => (
              <tr key={bucket.from}>
                <th scope="row">
                  {score(bucket.from)}–{score(bucket.to)}
                </th>
                <td class="num">{bucket.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export function DashboardPage({ profileId, days }: { profileId?: string; days: number }) {
  const profiles = useLoad(() => api.profiles(), []);
  const published = (profiles.data?.items ?? []).filter((profile) => profile.live && profile.status !== 'archived');
  const chosen = profileId ?? published[0]?.id;
  const safeDays = DAY_CHOICES.includes(days) ? days : 7;
  useEffect(() => {
    if (!profileId && published[0]) history.replaceState(null, '', `#/dashboard/${published[0].id}`);
  }, [profileId, published[0]?.id]);
  const [limit, setLimit] = useState(10);
  const insights = useLoad(async () => {
    if (!chosen) return null;
    const answer = await api.insights(chosen, safeDays, limit);
    markReady('dashboard');
    return answer;
  }, [chosen, safeDays, limit]);
  const profile = published.find((item) => item.id === chosen) ?? profiles.data?.items.find((item) => item.id === chosen);
  const bands = profile?.published?.bands ?? [];

  return (
    <section>
      <h1 tabIndex={-1}>Dashboard{profile ? `: ${profile.name}` : ''}</h1>
      <Problem error={profiles.error} context="Could not list the profiles" />
      {profiles.data && published.length === 0 && (
        <p>
          No profile is published yet: the dashboard shows a published profile’s scores. <a href="#/profiles">Go to the profiles</a>.
        </p>
      )}
      {published.length > 0 && (
        <div class="filters">
          <div class="field">
            <label for="dashboard-profile">Profile</label>
            <select
              id="dashboard-profile"
              value={chosen}
              onChange={(event) => navigate(`#/dashboard/${(event.target as HTMLSelectElement).value}?days=${safeDays}`)}
            >
              {published.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="dashboard-days">Compare with</label>
            <select
              id="dashboard-days"
              value={String(safeDays)}
              onChange={(event) => navigate(`#/dashboard/${chosen}?days=${(event.target as HTMLSelectElement).value}`)}
            >
              {DAY_CHOICES.map((choice) => (
                <option key={choice} value={String(choice)}>
                  {choice} days ago
                </option>
              ))}
            </select>
          </div>
        </div>
      )}
      <Problem error={insights.error} context="Could not load the insights" />
      {chosen && insights.loading && !insights.data && <Loading what="the insights" />}
      {insights.data && <InsightsView insights={insights.data} bands={bands} limit={limit} showMore={() => setLimit(100)} />}
    </section>
  );
}

function InsightsView({
  insights,
  bands,
  limit,
  showMore,
}: {
  insights: Insights;
  bands: BandDefinition[];
  limit: number;
  showMore: () => void;
}) {
  const then = `${insights.days} days ago`;
  const lowest = insights.distribution.find((row) => row.band !== null && row.band === bands[0]?.name) ?? null;
  return (
    <div class="dashboard">
      <div class="cards">
        <div class="card">
          <h2>Contacts</h2>
          <p class="big-figure">{insights.contacts.toLocaleString('en')}</p>
          <p class="muted">
            {date(insights.from)} → {date(insights.to)}
          </p>
        </div>
        <div class="card">
          <h2>Average score</h2>
          <p class="big-figure">{score(insights.averageScore)}</p>
          <p>
            <Trend value={insights.averageDelta} label={`vs ${score(insights.previousAverageScore)} ${then}`} />
          </p>
        </div>
        <div class="card">
          <h2>In the lowest band</h2>
          <p class="big-figure">{lowest ? lowest.count.toLocaleString('en') : '—'}</p>
          <p class="muted">
            {lowest
              ? `${lowest.band ?? 'no band'}: ${insights.contacts ? Math.round((lowest.count / insights.contacts) * 100) : 0} % of contacts (${lowest.previousCount.toLocaleString('en')} ${then})`
              : 'The profile has no bands.'}
          </p>
        </div>
      </div>
      <div class="grid-2">
        <div class="card">
          <h2>Bands now and {then}</h2>
          <DistributionBars
            caption="Contacts per band"
            firstLabel="Now"
            secondLabel={then}
            rows={insights.distribution.map((row) => ({ band: row.band, color: row.color, first: row.count, second: row.previousCount }))}
          />
        </div>
        <div class="card">
          <h2>Score histogram</h2>
          <Histogram buckets={insights.histogram} bands={bands} />
        </div>
      </div>
      <div class="card">
        <h2>Needs attention</h2>
        <p class="help">
          In the lowest band, or crossed a subscribed threshold downwards in the last {insights.days} days: VIPs first, then by how far they
          dropped. The first {limit} are shown.
        </p>
        {insights.needsAttention.length >= limit && limit < 100 && (
          <button type="button" onClick={showMore}>
            Show up to 100
          </button>
        )}
        {insights.needsAttention.length === 0 ? (
          <p class="muted">Nobody: no contact is in the lowest band or crossed a threshold downwards.</p>
        ) : (
          <Scroll label="Needs attention">
            <table>
              <caption class="sr-only">Contacts that need attention, VIPs first</caption>
              <thead>
                <tr>
                  <th scope="col">Contact</th>
                  <th scope="col" class="num">
                    Score
                  </th>
                  <th scope="col" class="num">
                    Change
                  </th>
                  <th scope="col">Band</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {insights.needsAttention.map((row) => (
                  <tr key={row.contactId}>
                    <th scope="row">
                      <ContactLink id={row.contactId} name={row.name} /> <VipTag tags={row.tags} />
                    </th>
                    <td class="num">{score(row.score)}</td>
                    <td class="num">{signed(row.delta)}</td>
                    <td>
                      <BandChip
                        name={row.band}
                        band={row.band ? { name: row.band, color: bands.find((band) => band.name === row.band)?.color ?? '#8892a0' } : null}
                      />
                    </td>
                    <td>{row.reasons.join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        )}
      </div>
      <div class="grid-2">
        <div class="card">
          <h2>Risers</h2>
          <MovementTable rows={insights.risers} caption={`Biggest rises since ${then}`} previousLabel={then} />
        </div>
        <div class="card">
          <h2>Fallers</h2>
          <MovementTable rows={insights.fallers} caption={`Biggest falls since ${then}`} previousLabel={then} />
        </div>
      </div>
    </div>
  );
}
