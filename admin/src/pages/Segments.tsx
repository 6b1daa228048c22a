import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { markReady } from '../ready';
import { navigate } from '../router';
import { article, useSession } from '../session';
import type { Profile, Segment, SegmentFilter } from '../types';
import {
  BandChip,
  ContactLink,
  dateTime,
  FieldError,
  Loading,
  Pager,
  Problem,
  relative,
  RoleNote,
  score,
  Scroll,
  toApiError,
  useLoad,
  usePager,
  VipTag,
} from '../ui';

/** Saved segments (smart lists): named contact filters that stay current, with their members now. */

const list = (values: string[] | undefined) => values?.join(', ');

/** The filter in words: "Engagement 30–60 · band Warm · tagged vip or customer · account acme · quiet for 30d". */
export function filterSummary(filter: SegmentFilter, profileName: (id: string) => string): string {
  const parts: string[] = [];
  if (filter.profileId) {
    const name = profileName(filter.profileId);
    if (filter.minScore !== undefined && filter.maxScore !== undefined)
      parts.push(`${name} ${score(filter.minScore)}–${score(filter.maxScore)}`);
    else if (filter.minScore !== undefined) parts.push(`${name} ≥ ${score(filter.minScore)}`);
    else if (filter.maxScore !== undefined) parts.push(`${name} ≤ ${score(filter.maxScore)}`);
    else parts.push(`scored in ${name}`);
  }
  if (filter.band) parts.push(`band ${filter.band}`);
  if (filter.tags) parts.push(`tagged ${filter.tags.join(' or ')}`);
  if (filter.allTags) parts.push(`tagged ${filter.allTags.join(' and ')}`);
  if (filter.accountId) parts.push(`account ${filter.accountId}`);
  if (filter.ownerId) parts.push(`owner ${filter.ownerId}`);
  if (filter.lastInteractionAfter) parts.push(`active within ${filter.lastInteractionAfter}`);
  if (filter.lastInteractionBefore) parts.push(`quiet for ${filter.lastInteractionBefore}`);
  return parts.length > 0 ? parts.join(' · ') : 'every contact';
}

function useProfileNames() {
  const profiles = useLoad(() => api.profiles(), []);
  const items = profiles.data?.items ?? [];
  return { profiles: items, name: (id: string) => items.find((profile) => profile.id === id)?.name ?? id };
}

function Watched({ segment }: { segment: Segment }) {
  return segment.watched ? (
    <span class="status status-active">watched</span>
  ) : (
    <span class="muted">
      no<span class="sr-only"> subscription</span>
    </span>
  );
}

export function SegmentsPage() {
  const session = useSession();
  const { profiles, name } = useProfileNames();
  const segments = useLoad(async () => {
    const answer = await api.segments();
    markReady('segments');
    return answer;
  }, []);
  const [deleteError, setDeleteError] = useState<{ id: string; error: ApiError } | null>(null);
  return (
    <section>
      <h1 tabIndex={-1}>Segments</h1>
      <p class="lede">
        Saved contact filters that stay current: who is in a segment is decided when asked. A subscription to a segment (an n8n trigger, or{' '}
        <code>segment.entered</code> / <code>segment.left</code> through the API) hears who moves in and out.
      </p>
      {!session.canWrite && (
        <RoleNote>
          You can read every segment and its members; creating and deleting segments need a writer or admin key (this is{' '}
          {article(session.me.role)} key).
        </RoleNote>
      )}
      <Problem error={segments.error} context="Could not list the segments" />
      {segments.loading && !segments.data && <Loading what="segments" />}
      {segments.data && segments.data.items.length === 0 && <p>No segment yet.</p>}
      {segments.data && segments.data.items.length > 0 && (
        <Scroll label="Segments">
          <table class="segments">
            <caption class="sr-only">Segments</caption>
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Filter</th>
                <th scope="col" class="num">
                  Contacts now
                </th>
                <th scope="col">Subscription</th>
                {session.canWrite && (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {segments.data.items.map((segment) => (
                <tr key={segment.id}>
                  <th scope="row">
                    <a href={`#/segments/${segment.id}`}>{segment.name}</a>
                    {segment.description && <div class="muted">{segment.description}</div>}
                  </th>
                  <td>{filterSummary(segment.filter, name)}</td>
                  <td class="num">{segment.size.toLocaleString('en')}</td>
                  <td>
                    <Watched segment={segment} />
                  </td>
                  {session.canWrite && (
                    <td>
                      <button
                        type="button"
                        onClick={() =>
                          api.deleteSegment(segment.id).then(
                            () => segments.reload(),
                            (error: unknown) => setDeleteError({ id: segment.id, error: toApiError(error) }),
                          )
                        }
                      >
                        Delete<span class="sr-only"> segment {segment.name}</span>
                      </button>
                      {deleteError?.id === segment.id && <Problem error={deleteError.error} context="Not deleted" />}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {session.canWrite && (
        <NewSegment
          profiles={profiles.filter((profile) => profile.live && profile.status !== 'archived')}
          onCreated={(segment) => navigate(`#/segments/${segment.id}`)}
        />
      )}
    </section>
  );
}

type Draft = {
  name: string;
  description: string;
  profileId: string;
  minScore: string;
  maxScore: string;
  band: string;
  tags: string;
  allTags: string;
  accountId: string;
  ownerId: string;
  lastInteractionBefore: string;
  lastInteractionAfter: string;
};

const EMPTY: Draft = {
  name: '',
  description: '',
  profileId: '',
  minScore: '',
  maxScore: '',
  band: '',
  tags: '',
  allTags: '',
  accountId: '',
  ownerId: '',
  lastInteractionBefore: '',
  lastInteractionAfter: '',
};

const split = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** The filter the form says: empty fields are left out (the service names what it refuses). */
function filterOf(draft: Draft): SegmentFilter {
  const filter: SegmentFilter = {};
  if (draft.profileId) filter.profileId = draft.profileId;
  if (draft.minScore.trim() !== '') filter.minScore = Number(draft.minScore);
  if (draft.maxScore.trim() !== '') filter.maxScore = Number(draft.maxScore);
  if (draft.band) filter.band = draft.band;
  if (split(draft.tags).length > 0) filter.tags = split(draft.tags);
  if (split(draft.allTags).length > 0) filter.allTags = split(draft.allTags);
  for (const field of ['accountId', 'ownerId', 'lastInteractionBefore', 'lastInteractionAfter'] as const)
    if (draft[field].trim()) filter[field] = draft[field].trim();
  return filter;
}

function NewSegment({ profiles, onCreated }: { profiles: Profile[]; onCreated: (segment: Segment) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (field: keyof Draft) => (event: Event) => {
    const value = (event.target as HTMLInputElement | HTMLSelectElement).value;
    setDraft((current) => ({ ...current, [field]: value, ...(field === 'profileId' ? { band: '' } : {}) }));
  };
  const bands = profiles.find((profile) => profile.id === draft.profileId)?.published?.bands ?? [];
  const submit = async (submitEvent: Event) => {
    submitEvent.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const created = await api.createSegment({
        name: draft.name.trim(),
        ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
        filter: filterOf(draft),
      });
      setDraft(EMPTY);
      onCreated(created);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (path: string) => error?.field(path);
  const describe = (path: string) => (fieldError(path) ? `seg-${path.replace('.', '-')}-error` : undefined);
  const text = (field: keyof Draft, label: string, path: string, placeholder?: string) => (
    <div class="field">
      <label for={`seg-${field}`}>{label}</label>
      <input
        id={`seg-${field}`}
        type="text"
        value={draft[field]}
        placeholder={placeholder}
        onInput={set(field)}
        aria-invalid={fieldError(path) ? true : undefined}
        aria-describedby={describe(path)}
      />
      <FieldError id={`seg-${path.replace('.', '-')}-error`} message={fieldError(path)} />
    </div>
  );
  const number = (field: 'minScore' | 'maxScore', label: string) => (
    <div class="field">
      <label for={`seg-${field}`}>{label}</label>
      <input
        id={`seg-${field}`}
        type="number"
        step="any"
        value={draft[field]}
        onInput={set(field)}
        disabled={!draft.profileId}
        aria-invalid={fieldError(`filter.${field}`) ? true : undefined}
        aria-describedby={describe(`filter.${field}`)}
      />
      <FieldError id={`seg-filter-${field}-error`} message={fieldError(`filter.${field}`)} />
    </div>
  );
  return (
    <form class="card new-segment" onSubmit={submit} noValidate aria-labelledby="new-segment-heading">
      <h2 id="new-segment-heading">New segment</h2>
      <p class="muted">Every condition given must hold; leave a field empty to not filter by it.</p>
      <div class="form-grid">
        {text('name', 'Name', 'name')}
        <div class="field grow">
          <label for="seg-description">Description (optional)</label>
          <input id="seg-description" type="text" value={draft.description} onInput={set('description')} />
        </div>
        <div class="field">
          <label for="seg-profileId">Score in</label>
          <select id="seg-profileId" value={draft.profileId} onChange={set('profileId')} aria-describedby={describe('filter.profileId')}>
            <option value="">(no profile)</option>
            {profiles.map((profile) => (
              <option key={profile.id} value={profile.id}>
                {profile.name}
              </option>
            ))}
          </select>
          <FieldError id="seg-filter-profileId-error" message={fieldError('filter.profileId')} />
        </div>
        {number('minScore', 'Score at least')}
        {number('maxScore', 'Score at most')}
        <div class="field">
          <label for="seg-band">Band</label>
          <select id="seg-band" value={draft.band} onChange={set('band')} disabled={bands.length === 0}>
            <option value="">(any)</option>
            {bands.map((band) => (
              <option key={band.name} value={band.name}>
                {band.name}
              </option>
            ))}
          </select>
        </div>
        {text('tags', 'Any of the tags (comma separated)', 'filter.tags', 'vip, customer')}
        {text('allTags', 'All of the tags (comma separated)', 'filter.allTags')}
        {text('accountId', 'Account', 'filter.accountId')}
        {text('ownerId', 'Owner', 'filter.ownerId')}
        {text('lastInteractionAfter', 'Active within (e.g. 7d)', 'filter.lastInteractionAfter', '7d')}
        {text('lastInteractionBefore', 'Quiet for (e.g. 30d)', 'filter.lastInteractionBefore', '30d')}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save segment'}
        </button>
      </div>
      <Problem error={error} context="Not saved" />
    </form>
  );
}

/** One segment: its filter, size and members now, page by page. */
export function SegmentPage({ id }: { id: string }) {
  const session = useSession();
  const { name } = useProfileNames();
  const segment = useLoad(() => api.segment(id), [id]);
  const pager = usePager();
  const members = useLoad(async () => {
    const answer = await api.segmentContacts(id, { limit: 25, cursor: pager.cursor });
    markReady('segment');
    return answer;
  }, [id, pager.cursor]);
  const [deleteError, setDeleteError] = useState<ApiError | null>(null);
  const data = segment.data;
  const scored = data?.filter.profileId !== undefined;
  return (
    <section>
      <h1 tabIndex={-1}>{data ? data.name : 'Segment'}</h1>
      <p class="meta">
        <a href="#/segments">All segments</a>
      </p>
      <Problem error={segment.error} context="Could not load the segment" />
      {data && (
        <>
          {data.description && <p class="lede">{data.description}</p>}
          <dl class="facts">
            <div>
              <dt>Filter</dt>
              <dd>{filterSummary(data.filter, name)}</dd>
            </div>
            <div>
              <dt>Contacts now</dt>
              <dd class="segment-size">{data.size.toLocaleString('en')}</dd>
            </div>
            <div>
              <dt>Subscription</dt>
              <dd>{data.watched ? 'watched: entries and exits are delivered' : 'none'}</dd>
            </div>
            <div>
              <dt>Changed</dt>
              <dd>{dateTime(data.updatedAt)}</dd>
            </div>
          </dl>
          {session.canWrite && (
            <div class="actions">
              <button
                type="button"
                onClick={() =>
                  api.deleteSegment(id).then(
                    () => navigate('#/segments'),
                    (error: unknown) => setDeleteError(toApiError(error)),
                  )
                }
              >
                Delete this segment
              </button>
              {data.watched && <span class="muted">Its subscriptions end with it.</span>}
            </div>
          )}
          <Problem error={deleteError} context="Not deleted" />
        </>
      )}
      <h2>Members</h2>
      <Problem error={members.error} context="Could not list the members" />
      {members.loading && !members.data && <Loading what="members" />}
      {members.data && members.data.items.length === 0 && <p>Nobody is in this segment now.</p>}
      {members.data && members.data.items.length > 0 && (
        <Scroll label="Members">
          <table class="members-list">
            <caption class="sr-only">Members{scored ? ', highest score first' : ', by id'}</caption>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                {scored && (
                  <th scope="col" class="num">
                    Score
                  </th>
                )}
                {scored && <th scope="col">Band</th>}
                <th scope="col">Account</th>
                <th scope="col">Tags</th>
                <th scope="col">Last interaction</th>
              </tr>
            </thead>
            <tbody>
              {members.data.items.map((contact) => (
                <tr key={contact.id}>
                  <th scope="row">
                    <ContactLink id={contact.id} name={contact.name} /> <VipTag tags={contact.tags} />
                  </th>
                  {scored && <td class="num">{score(contact.score)}</td>}
                  {scored && (
                    <td>
                      <BandChip band={contact.band} />
                    </td>
                  )}
                  <td>
                    {contact.accountId ? <a href={`#/accounts/${encodeURIComponent(contact.accountId)}`}>{contact.accountId}</a> : '—'}
                  </td>
                  <td>{list(contact.tags.filter((tag) => tag !== 'vip')) || '—'}</td>
                  <td>{contact.lastInteractionAt ? `${contact.lastInteractionType ?? ''} ${relative(contact.lastInteractionAt)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <Pager pager={pager} nextCursor={members.data?.nextCursor} label="Members" />
    </section>
  );
}
