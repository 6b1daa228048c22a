import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { HistoryChart } from '../charts/history-chart';
import { ExplanationTable } from '../components';
import { markReady } from '../ready';
import { replaceQuery } from '../router';
import { article, useSession } from '../session';
import type { BandDefinition, ContactWithScores, History, Profile, Relationships, Score, TimelineItem } from '../types';
import {
  BandChip,
  dateTime,
  FieldError,
  Loading,
  Pager,
  Problem,
  relative,
  RoleNote,
  score,
  Scroll,
  signed,
  toApiError,
  Trend,
  useLoad,
  usePager,
} from '../ui';

/** One contact's story: scores everywhere, history, explanation, who knows them, timeline, adjustments. */

let chartModule: Promise<typeof import('../charts/history-chart')> | undefined;
export const loadChart = () => (chartModule ??= import('../charts/history-chart'));

export function ContactPage({ id, profileId }: { id: string; profileId?: string }) {
  const contact = useLoad(() => api.contact(id), [id]);
  const profiles = useLoad(() => api.profiles(), []);
  const [version, setVersion] = useState(0);
  const scores = useLoad(async () => {
    if (!contact.data) return null;
    const list = await Promise.all(
      contact.data.scores.map((item) => api.score(item.profileId, id).catch((error: unknown) => toApiError(error))),
    );
    markReady('contact');
    return list;
  }, [contact.data, version]);

  if (contact.error) {
    return (
      <section>
        <h1 tabIndex={-1}>Contact {id}</h1>
        <Problem error={contact.error} context="Could not load the contact" />
        <p>
          <a href="#/contacts">Find another contact</a>
        </p>
      </section>
    );
  }
  if (!contact.data) return <Loading what="the contact" />;
  const data = contact.data;
  const selected = profileId && data.scores.some((item) => item.profileId === profileId) ? profileId : data.scores[0]?.profileId;
  const profile = profiles.data?.items.find((item) => item.id === selected);

  return (
    <section class="contact-page">
      <h1 tabIndex={-1}>{data.name ?? data.id}</h1>
      <ContactFacts contact={data} />
      <h2>Scores</h2>
      {data.scores.length === 0 ? (
        <p class="muted">No profile is published yet, so this contact has no score.</p>
      ) : (
        <div class="cards scores">
          {data.scores.map((item, index) => {
            const detail = scores.data?.[index];
            const full = detail && !(detail instanceof ApiError) ? detail : null;
            return (
              <div class={`card score-card${item.profileId === selected ? ' selected' : ''}`} key={item.profileId}>
                <h3>
                  <a
                    href={`#/contacts/${encodeURIComponent(id)}?profile=${item.profileId}`}
                    aria-current={item.profileId === selected ? 'true' : undefined}
                    onClick={(event) => {
                      event.preventDefault();
                      replaceQuery({ profile: item.profileId });
                      dispatchEvent(new HashChangeEvent('hashchange'));
                    }}
                  >
                    {item.profileName}
                  </a>
                </h3>
                <p class="big-figure">{score(item.score)}</p>
                <p>
                  <BandChip band={item.band} />
                </p>
                {full && (
                  <>
                    <p>
                      <Trend value={full.trend.delta7d} label="7 days" /> <Trend value={full.trend.delta30d} label="30 days" />
                    </p>
                    <p class="muted">
                      {full.next
                        ? `Time alone takes it ${full.next.direction === 'down' ? 'below' : 'above'} ${score(full.next.threshold)} ${relative(full.next.at)} (${dateTime(full.next.at)}).`
                        : 'No band edge or threshold ahead from time alone.'}
                    </p>
                  </>
                )}
                {detail instanceof ApiError && <Problem error={detail} context="Score details" />}
              </div>
            );
          })}
        </div>
      )}
      {selected && (
        <ProfileDetail
          key={selected}
          refresh={version}
          contactId={id}
          profileId={selected}
          profile={profile}
          detail={(() => {
            const found = scores.data?.[data.scores.findIndex((item) => item.profileId === selected)];
            return found && !(found instanceof ApiError) ? found : undefined;
          })()}
          onAdjusted={() => {
            contact.reload();
            setVersion((value) => value + 1);
          }}
        />
      )}
      <WhoKnowsThem contactId={id} profileId={selected} profiles={profiles.data?.items ?? []} />
      <Timeline contactId={id} />
    </section>
  );
}

function ContactFacts({ contact }: { contact: ContactWithScores }) {
  return (
    <dl class="facts">
      <div>
        <dt>Id</dt>
        <dd>
          <code>{contact.id}</code>
        </dd>
      </div>
      {contact.email && (
        <div>
          <dt>Email</dt>
          <dd>{contact.email}</dd>
        </div>
      )}
      <div>
        <dt>Account</dt>
        <dd>{contact.accountId ? <a href={`#/accounts/${encodeURIComponent(contact.accountId)}`}>{contact.accountId}</a> : '—'}</dd>
      </div>
      <div>
        <dt>Owner</dt>
        <dd>{contact.ownerId ?? '—'}</dd>
      </div>
      <div>
        <dt>Tags</dt>
        <dd>
          {contact.tags.length
            ? contact.tags.map((tag) => (
                <span class={`tag${tag === 'vip' ? ' tag-vip' : ''}`} key={tag}>
                  {tag}
                </span>
              ))
            : '—'}
        </dd>
      </div>
      <div>
        <dt>Last interaction</dt>
        <dd>{contact.lastInteractionAt ? `${contact.lastInteractionType ?? ''} ${relative(contact.lastInteractionAt)}` : 'never'}</dd>
      </div>
    </dl>
  );
}

function ProfileDetail({
  contactId,
  profileId,
  profile,
  detail,
  refresh,
  onAdjusted,
}: {
  contactId: string;
  profileId: string;
  profile?: Profile;
  detail?: Score;
  refresh: number;
  onAdjusted: () => void;
}) {
  const session = useSession();
  const name = profile?.name ?? 'this profile';
  return (
    <section class="profile-detail" aria-labelledby="detail-heading">
      <h2 id="detail-heading">In {name}</h2>
      <HistoryPanel
        contactId={contactId}
        profileId={profileId}
        refresh={refresh}
        bands={profile?.published?.bands ?? []}
        range={profile?.published?.range ?? (profile?.kind === 'relationship' ? { min: 0, max: 100 } : null)}
      />
      {detail && (
        <>
          <ExplanationTable lines={detail.explanation} caption={`Why ${score(detail.score)}: rule by rule`} />
          {detail.clamp && (
            <p class="muted">
              The range clamped the score to its {detail.clamp.applied}imum {score(detail.clamp.bound)} (unclamped{' '}
              {score(detail.clamp.unclamped)}).
            </p>
          )}
          {detail.suggestions.length > 0 && (
            <div class="suggestions">
              <h3>Suggestions</h3>
              <ul>
                {detail.suggestions.map((suggestion) => (
                  <li key={suggestion.action + suggestion.message}>{suggestion.message}</li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
      {session.canWrite ? (
        <AdjustForm contactId={contactId} profileId={profileId} profileName={name} onAdjusted={onAdjusted} />
      ) : (
        <RoleNote>Adjusting a score needs a writer or admin key; this is {article(session.me.role)} key.</RoleNote>
      )}
    </section>
  );
}

function HistoryPanel({
  contactId,
  profileId,
  refresh,
  bands,
  range,
}: {
  contactId: string;
  profileId: string;
  refresh: number;
  bands: BandDefinition[];
  range: { min: number; max: number } | null | undefined;
}) {
  const [interval, setStep] = useState<'day' | 'week'>('day');
  const history = useLoad(() => api.history(profileId, contactId, interval), [profileId, contactId, interval, refresh]);
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<HistoryChart | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const [chartError, setChartError] = useState<ApiError | null>(null);
  const points = history.data?.points ?? [];

  useEffect(() => {
    if (!history.data || !host.current) return;
    let cancelled = false;
    const element = host.current;
    let observer: ResizeObserver | undefined;
    loadChart().then(
      ({ historyChart }) => {
        if (cancelled) return;
        chart.current?.destroy();
        element.textContent = '';
        const width = Math.max(260, element.clientWidth);
        chart.current = historyChart(element, { points: history.data!.points, bands, range, width, height: 260, onHover: setHover });
        observer = new ResizeObserver(() => chart.current?.resize(Math.max(260, element.clientWidth)));
        observer.observe(element);
        element.dataset.drawn = 'true';
      },
      (error: unknown) => setChartError(toApiError(error)),
    );
    return () => {
      cancelled = true;
      observer?.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [history.data]);

  const point = hover !== null ? points[hover] : points[points.length - 1];
  const first = points[0];
  const last = points[points.length - 1];
  return (
    <div class="history">
      <div class="title-row">
        <h3 id="history-heading">Score over time</h3>
        <div class="field inline">
          <label for="history-interval">Every</label>
          <select
            id="history-interval"
            value={interval}
            onChange={(event) => setStep((event.target as HTMLSelectElement).value as 'day' | 'week')}
          >
            <option value="day">day (30 days)</option>
            <option value="week">week (26 weeks)</option>
          </select>
        </div>
      </div>
      <Problem error={history.error} context="Could not load the history" />
      <Problem error={chartError} context="The chart could not be loaded" />
      <p class="readout" aria-live="polite">
        {point ? (
          <>
            {hover !== null ? 'As of' : 'Latest, as of'} <strong>{dateTime(point.at)}</strong>: <strong>{score(point.score)}</strong>{' '}
            {point.band ? `(${point.band})` : ''}
          </>
        ) : history.loading ? (
          'Loading…'
        ) : (
          'No history.'
        )}
      </p>
      <div
        class="chart"
        ref={host}
        tabIndex={0}
        role="img"
        aria-labelledby="history-heading"
        aria-describedby="history-summary"
        onKeyDown={(event) => {
          if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
            event.preventDefault();
            chart.current?.step(event.key === 'ArrowRight' ? 1 : -1);
          }
        }}
      />
      <p id="history-summary" class="muted">
        {first && last
          ? `From ${score(first.score)} on ${dateTime(first.at)} to ${score(last.score)} on ${dateTime(last.at)}. Band edges are drawn in their colours. Focus the chart and use the arrow keys to read each point.`
          : ''}
      </p>
      {points.length > 0 && (
        <details class="as-table">
          <summary>History as a table</summary>
          <HistoryTable history={history.data!} />
        </details>
      )}
    </div>
  );
}

function HistoryTable({ history }: { history: History }) {
  return (
    <Scroll label="History as a table">
      <table>
        <thead>
          <tr>
            <th scope="col">As of</th>
            <th scope="col" class="num">
              Score
            </th>
            <th scope="col">Band</th>
          </tr>
        </thead>
        <tbody>
          {history.points.map((point) => (
            <tr key={point.at}>
              <th scope="row">{dateTime(point.at)}</th>
              <td class="num">{score(point.score)}</td>
              <td>{point.band ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

function AdjustForm({
  contactId,
  profileId,
  profileName,
  onAdjusted,
}: {
  contactId: string;
  profileId: string;
  profileName: string;
  onAdjusted: () => void;
}) {
  const [mode, setMode] = useState<'add' | 'subtract' | 'set'>('add');
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    const number = Number(value);
    const problems = [];
    if (value.trim() === '' || !Number.isFinite(number)) problems.push({ path: 'value', message: 'a number, e.g. 5' });
    if (!reason.trim()) problems.push({ path: 'reason', message: 'say why (kept in the ledger and shown in the explanation)' });
    if (problems.length) {
      setError(new ApiError(0, { title: 'Not sent', detail: 'Fix the fields marked below.', errors: problems }));
      return;
    }
    setBusy(true);
    try {
      const body =
        mode === 'set' ? { set: number, reason: reason.trim() } : { delta: mode === 'subtract' ? -number : number, reason: reason.trim() };
      const answer = await api.adjust(profileId, contactId, body);
      setDone(`Done: the score in ${profileName} is now ${score(answer.score)}.`);
      setValue('');
      setReason('');
      onAdjusted();
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  const valueError = error?.field('value') ?? error?.field('delta') ?? error?.field('set');
  const reasonError = error?.field('reason');
  return (
    <form class="adjust" onSubmit={submit} noValidate aria-labelledby="adjust-heading">
      <h3 id="adjust-heading">Adjust the score</h3>
      <fieldset class="mode">
        <legend>How</legend>
        {(['add', 'subtract', 'set'] as const).map((choice) => (
          <label key={choice}>
            <input type="radio" name="adjust-mode" value={choice} checked={mode === choice} onChange={() => setMode(choice)} />{' '}
            {choice === 'set' ? 'set to' : choice}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="adjust-value">{mode === 'set' ? 'New score' : 'Points'}</label>
        <input
          id="adjust-value"
          type="number"
          step="any"
          inputMode="decimal"
          value={value}
          onInput={(event) => setValue((event.target as HTMLInputElement).value)}
          aria-invalid={valueError ? true : undefined}
          aria-describedby={valueError ? 'adjust-value-error' : undefined}
        />
        <FieldError id="adjust-value-error" message={valueError} />
      </div>
      <div class="field grow">
        <label for="adjust-reason">Reason</label>
        <input
          id="adjust-reason"
          type="text"
          maxLength={500}
          value={reason}
          onInput={(event) => setReason((event.target as HTMLInputElement).value)}
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={reasonError ? 'adjust-reason-error' : undefined}
        />
        <FieldError id="adjust-reason-error" message={reasonError} />
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Adjust'}
        </button>
      </div>
      {error && error.status !== 0 && <Problem error={error} context="Not adjusted" />}
      {done && (
        <p class="success" role="status">
          {done}
        </p>
      )}
    </form>
  );
}

function WhoKnowsThem({ contactId, profileId, profiles }: { contactId: string; profileId?: string; profiles: Profile[] }) {
  const relationshipProfile = profiles.find((profile) => profile.id === profileId && profile.kind === 'relationship');
  const loaded = useLoad(async (): Promise<Relationships> => {
    // The workspace's relationship profile by default; else the profile shown above.
    try {
      return await api.relationships(contactId, relationshipProfile?.id);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && profileId) return api.relationships(contactId, profileId);
      throw error;
    }
  }, [contactId, relationshipProfile?.id, profileId]);
  const usedProfile = profiles.find((profile) => profile.id === loaded.data?.profileId);
  return (
    <section aria-labelledby="who-heading">
      <h2 id="who-heading">Who knows them best</h2>
      <Problem error={loaded.error} context="Could not load the relationships" />
      {loaded.data &&
        (loaded.data.items.length === 0 ? (
          <p class="muted">No team member has interacted with this contact.</p>
        ) : (
          <Scroll label="Who knows them best">
            <table class="members">
              <caption>
                By their own strength in {usedProfile?.name ?? 'the relationship profile'}
                {usedProfile ? '' : ''}
              </caption>
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
                  <th scope="col">Last</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.items.map((member) => (
                  <tr key={member.actorId}>
                    <th scope="row">
                      {member.name ?? member.actorId}
                      {member.name && <span class="muted"> ({member.actorId})</span>}
                    </th>
                    <td>
                      <span class="meter" aria-hidden="true">
                        <span style={{ width: `${Math.max(0, Math.min(100, member.strength))}%` }} />
                      </span>{' '}
                      {score(member.strength)}
                    </td>
                    <td class="num">{score(member.share)} %</td>
                    <td class="num">{member.interactions}</td>
                    <td>{member.lastInteractionAt ? relative(member.lastInteractionAt) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        ))}
    </section>
  );
}

function Timeline({ contactId }: { contactId: string }) {
  const pager = usePager();
  const page = useLoad(() => api.timeline(contactId, pager.cursor), [contactId, pager.cursor]);
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <Problem error={page.error} context="Could not load the timeline" />
      {page.data && page.data.items.length === 0 && <p class="muted">No interaction recorded.</p>}
      {page.data && page.data.items.length > 0 && (
        <ol class="timeline">
          {page.data.items.map((item) => (
            <TimelineEntry item={item} key={item.id} />
          ))}
        </ol>
      )}
      <Pager pager={pager} nextCursor={page.data?.nextCursor} label="Timeline" />
    </section>
  );
}

function TimelineEntry({ item }: { item: TimelineItem }) {
  return (
    <li>
      <div class="when">{dateTime(item.occurredAt)}</div>
      <div class="what">
        <strong>{item.type}</strong>
        {item.direction ? ` · ${item.direction}` : ''}
        {item.channel ? ` · ${item.channel}` : ''}
        {item.actor ? ` · with ${item.actor.name ?? item.actor.id}` : ''}
        {item.properties && Object.keys(item.properties).length > 0 && <span class="muted"> · {JSON.stringify(item.properties)}</span>}
      </div>
      <div class="earned">
        {item.earned.length === 0 ? (
          <span class="muted">earned nothing</span>
        ) : (
          item.earned.map((earned) => (
            <span class="earned-item" key={earned.profileId}>
              {earned.profileName}: <strong>{signed(earned.points)}</strong>
              <span class="muted">
                {' '}
                (
                {earned.rules
                  .map((rule) => `${rule.rule} ${signed(rule.points)}${rule.counted ? '' : ', limited: not counted'}`)
                  .join('; ')}
                )
              </span>
            </span>
          ))
        )}
      </div>
    </li>
  );
}
