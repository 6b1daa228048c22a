import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { markReady } from '../ready';
import { navigate } from '../router';
import { article, useSession } from '../session';
import type { Delivery, Profile, Subscription, SubscriptionEvent, TestEventResult } from '../types';
import { dateTime, FieldError, Loading, Pager, Problem, relative, RoleNote, Scroll, toApiError, useLoad, usePager } from '../ui';

/** Threshold triggers: subscriptions, their delivery logs, test events and redelivery (admin). */

const EVENTS: { value: SubscriptionEvent; label: string }[] = [
  { value: 'score.dropped_below', label: 'Score dropped below' },
  { value: 'score.rose_above', label: 'Score rose above' },
  { value: 'score.crossed', label: 'Score crossed (either way)' },
  { value: 'band.changed', label: 'Band changed' },
];
// Segment subscriptions are made from n8n or the API; the list names them too.
const SEGMENT_EVENTS: { value: SubscriptionEvent; label: string }[] = [
  { value: 'segment.entered', label: 'Entered segment' },
  { value: 'segment.left', label: 'Left segment' },
];
const eventLabel = (event: string) => [...EVENTS, ...SEGMENT_EVENTS].find((item) => item.value === event)?.label ?? event;

function AdminOnly() {
  const session = useSession();
  return (
    <section>
      <h1 tabIndex={-1}>Triggers</h1>
      <RoleNote>
        Subscriptions and their delivery logs need an admin key; this is {article(session.me.role)} key. (The API keeps webhook URLs and
        their logs to admins.)
      </RoleNote>
    </section>
  );
}

export function TriggersPage() {
  const session = useSession();
  if (!session.canAdmin) return <AdminOnly />;
  return <TriggersList />;
}

function TriggersList() {
  const subscriptions = useLoad(async () => {
    const answer = await api.subscriptions();
    markReady('triggers');
    return answer;
  }, []);
  const profiles = useLoad(() => api.profiles(), []);
  const [created, setCreated] = useState<Subscription | null>(null);
  const [deleteError, setDeleteError] = useState<{ id: string; error: ApiError } | null>(null);
  const segments = useLoad(() => api.segments(), []);
  const profileName = (id: string) => profiles.data?.items.find((profile) => profile.id === id)?.name ?? id;
  const segmentName = (id: string) => segments.data?.items.find((segment) => segment.id === id)?.name ?? id;
  return (
    <section>
      <h1 tabIndex={-1}>Triggers</h1>
      <p class="lede">Webhooks that fire when a contact’s score crosses a threshold or changes band — whatever moved it, time included.</p>
      <Problem error={subscriptions.error} context="Could not list the subscriptions" />
      {subscriptions.loading && !subscriptions.data && <Loading what="subscriptions" />}
      {subscriptions.data && subscriptions.data.items.length === 0 && <p>No subscription yet.</p>}
      {subscriptions.data && subscriptions.data.items.length > 0 && (
        <Scroll label="Subscriptions">
          <table>
            <caption class="sr-only">Subscriptions</caption>
            <thead>
              <tr>
                <th scope="col">Trigger</th>
                <th scope="col">Profile</th>
                <th scope="col" class="num">
                  Threshold
                </th>
                <th scope="col">Segment (tags)</th>
                <th scope="col">URL</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {subscriptions.data.items.map((subscription) => (
                <tr key={subscription.id}>
                  <th scope="row">
                    <a href={`#/triggers/${subscription.id}`}>{eventLabel(subscription.event)}</a>
                    {subscription.description && <div class="muted">{subscription.description}</div>}
                  </th>
                  <td>
                    {subscription.segmentId ? (
                      <a href={`#/segments/${encodeURIComponent(subscription.segmentId)}`}>Segment {segmentName(subscription.segmentId)}</a>
                    ) : (
                      profileName(subscription.profileId ?? '')
                    )}
                  </td>
                  <td class="num">{subscription.threshold ?? '—'}</td>
                  <td>{subscription.tags?.join(', ') ?? 'every contact'}</td>
                  <td class="url">{subscription.url}</td>
                  <td>
                    <span class={`status status-${subscription.status}`}>{subscription.status}</span>
                    {subscription.statusReason && <div class="muted">{subscription.statusReason}</div>}
                  </td>
                  <td class="links">
                    <a
                      href={`#/triggers/${subscription.id}`}
                      aria-label={`Delivery log of ${eventLabel(subscription.event)} ${subscription.threshold ?? ''}`}
                    >
                      Delivery log
                    </a>{' '}
                    <button
                      type="button"
                      onClick={() =>
                        api.deleteSubscription(subscription.id).then(
                          () => subscriptions.reload(),
                          (error: unknown) => setDeleteError({ id: subscription.id, error: toApiError(error) }),
                        )
                      }
                    >
                      Delete{' '}
                      <span class="sr-only">
                        {eventLabel(subscription.event)} {subscription.url}
                      </span>
                    </button>
                    {deleteError?.id === subscription.id && <Problem error={deleteError.error} context="Not deleted" />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {created?.secret && (
        <div class="success secret" role="status">
          <p>
            Subscribed. Its signing secret is shown this once — keep it to verify <code>X-Engagement-Signature</code>:
          </p>
          <p>
            <code>{created.secret}</code>
          </p>
        </div>
      )}
      <NewSubscription
        profiles={(profiles.data?.items ?? []).filter((profile) => profile.status !== 'archived')}
        onCreated={(subscription) => {
          setCreated(subscription);
          subscriptions.reload();
        }}
      />
    </section>
  );
}

function NewSubscription({ profiles, onCreated }: { profiles: Profile[]; onCreated: (subscription: Subscription) => void }) {
  const [profileId, setProfileId] = useState('');
  const [event, setEvent] = useState<SubscriptionEvent>('score.dropped_below');
  const [threshold, setThreshold] = useState('');
  const [tags, setTags] = useState('');
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const chosenProfile = profileId || profiles[0]?.id || '';
  const submit = async (submitEvent: Event) => {
    submitEvent.preventDefault();
    setError(null);
    const body = {
      profileId: chosenProfile,
      event,
      ...(event === 'band.changed' || threshold.trim() === '' ? {} : { threshold: Number(threshold) }),
      ...(tags.trim()
        ? {
            tags: tags
              .split(',')
              .map((tag) => tag.trim())
              .filter(Boolean),
          }
        : {}),
      url: url.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
    };
    setBusy(true);
    try {
      onCreated(await api.createSubscription(body));
      setThreshold('');
      setTags('');
      setUrl('');
      setDescription('');
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (path: string) => error?.field(path);
  const describe = (path: string) => (fieldError(path) ? `sub-${path}-error` : undefined);
  return (
    <form class="card new-subscription" onSubmit={submit} noValidate aria-labelledby="new-subscription-heading">
      <h2 id="new-subscription-heading">New trigger</h2>
      <div class="form-grid">
        <div class="field">
          <label for="sub-profile">Profile</label>
          <select
            id="sub-profile"
            value={chosenProfile}
            onChange={(changed) => setProfileId((changed.target as HTMLSelectElement).value)}
            aria-describedby={describe('profileId')}
          >
            {profiles.map((profile) => (
              <option key={profile.id} value={profile.id}>
                {profile.name}
              </option>
            ))}
          </select>
          <FieldError id="sub-profileId-error" message={fieldError('profileId')} />
        </div>
        <div class="field">
          <label for="sub-event">When</label>
          <select
            id="sub-event"
            value={event}
            onChange={(changed) => setEvent((changed.target as HTMLSelectElement).value as SubscriptionEvent)}
          >
            {EVENTS.map((item) => (
              <option key={item.value} value={item.value}>
                {item.label}
              </option>
            ))}
          </select>
        </div>
        {event !== 'band.changed' && (
          <div class="field">
            <label for="sub-threshold">Threshold</label>
            <input
              id="sub-threshold"
              type="number"
              step="any"
              value={threshold}
              onInput={(changed) => setThreshold((changed.target as HTMLInputElement).value)}
              aria-invalid={fieldError('threshold') ? true : undefined}
              aria-describedby={describe('threshold')}
            />
            <FieldError id="sub-threshold-error" message={fieldError('threshold')} />
          </div>
        )}
        <div class="field">
          <label for="sub-tags">Only contacts tagged (comma separated, optional)</label>
          <input
            id="sub-tags"
            type="text"
            value={tags}
            onInput={(changed) => setTags((changed.target as HTMLInputElement).value)}
            aria-describedby={describe('tags')}
          />
          <FieldError id="sub-tags-error" message={fieldError('tags')} />
        </div>
        <div class="field grow">
          <label for="sub-url">Webhook URL</label>
          <input
            id="sub-url"
            type="url"
            value={url}
            placeholder="https://…"
            onInput={(changed) => setUrl((changed.target as HTMLInputElement).value)}
            aria-invalid={fieldError('url') ? true : undefined}
            aria-describedby={describe('url')}
          />
          <FieldError id="sub-url-error" message={fieldError('url')} />
        </div>
        <div class="field grow">
          <label for="sub-description">Description (optional)</label>
          <input
            id="sub-description"
            type="text"
            value={description}
            onInput={(changed) => setDescription((changed.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || !chosenProfile}>
          {busy ? 'Subscribing…' : 'Subscribe'}
        </button>
      </div>
      <Problem error={error} context="Not subscribed" />
    </form>
  );
}

export function SubscriptionPage({ id }: { id: string }) {
  const session = useSession();
  if (!session.canAdmin) return <AdminOnly />;
  return <DeliveryLog id={id} />;
}

function DeliveryLog({ id }: { id: string }) {
  const subscription = useLoad(() => api.subscription(id), [id]);
  const pager = usePager();
  const deliveries = useLoad(async () => {
    const answer = await api.deliveries(id, pager.cursor);
    markReady('deliveries');
    return answer;
  }, [id, pager.cursor]);
  const [test, setTest] = useState<TestEventResult | null>(null);
  const [testError, setTestError] = useState<ApiError | null>(null);
  const [testing, setTesting] = useState(false);
  const [redelivered, setRedelivered] = useState<Record<string, Delivery | ApiError>>({});

  const sendTest = async () => {
    setTesting(true);
    setTest(null);
    setTestError(null);
    try {
      setTest(await api.testEvent(id));
      deliveries.reload();
    } catch (caught) {
      setTestError(toApiError(caught));
    } finally {
      setTesting(false);
    }
  };
  const redeliver = async (delivery: Delivery) => {
    try {
      const answer = await api.redeliver(delivery.id);
      setRedelivered((map) => ({ ...map, [delivery.id]: answer }));
      deliveries.reload();
    } catch (caught) {
      setRedelivered((map) => ({ ...map, [delivery.id]: toApiError(caught) }));
    }
  };

  const sub = subscription.data;
  return (
    <section>
      <h1 tabIndex={-1}>{sub ? `${eventLabel(sub.event)}${sub.threshold !== null ? ` ${sub.threshold}` : ''}` : 'Trigger'}</h1>
      <p class="meta">
        <a href="#/triggers">All triggers</a>
      </p>
      <Problem error={subscription.error} context="Could not load the subscription" />
      {sub && (
        <dl class="facts">
          <div>
            <dt>URL</dt>
            <dd class="url">{sub.url}</dd>
          </div>
          <div>
            <dt>Segment</dt>
            <dd>{sub.tags?.join(', ') ?? 'every contact'}</dd>
          </div>
          <div>
            <dt>State</dt>
            <dd>
              {sub.status}
              {sub.statusReason ? ` (${sub.statusReason})` : ''}
            </dd>
          </div>
          <div>
            <dt>Since</dt>
            <dd>{dateTime(sub.createdAt)}</dd>
          </div>
        </dl>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={() => void sendTest()} disabled={testing || sub?.status !== 'active'}>
          {testing ? 'Sending…' : 'Send a test event'}
        </button>
        <span class="muted">A signed sample delivery with a made-up contact, sent now and not retried.</span>
      </div>
      {test && (
        <p class={test.delivered ? 'success' : 'problem'} role="status">
          {test.delivered ? 'Delivered' : 'Not delivered'}: the receiver answered {test.status ?? 'nothing'}
          {test.error ? ` (${test.error})` : ''} in {Math.round(test.ms)} ms.
        </p>
      )}
      <Problem error={testError} context="Test event not sent" />
      <h2>Delivery log</h2>
      <Problem error={deliveries.error} context="Could not load the delivery log" />
      {deliveries.data && deliveries.data.items.length === 0 && <p class="muted">Nothing delivered yet.</p>}
      {deliveries.data && deliveries.data.items.length > 0 && (
        <Scroll label="Delivery log">
          <table class="deliveries">
            <caption class="sr-only">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Contact</th>
                <th scope="col">State</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Status codes (latest last)</th>
                <th scope="col">Next retry</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.items.map((delivery) => {
                const outcome = redelivered[delivery.id];
                return (
                  <tr key={delivery.id}>
                    <th scope="row">
                      {delivery.type}
                      {(delivery.payload as { test?: boolean }).test ? <span class="tag">test</span> : null}
                      <div class="muted">{dateTime(delivery.occurredAt)}</div>
                    </th>
                    <td>
                      {delivery.contactId === 'sample-contact' ? (
                        <span class="muted">sample</span>
                      ) : (
                        <a href={`#/contacts/${encodeURIComponent(delivery.contactId)}`}>{delivery.contactId}</a>
                      )}
                    </td>
                    <td>
                      <span class={`status status-${delivery.state}`}>{delivery.state}</span>
                      {delivery.lastError && <div class="muted">{delivery.lastError}</div>}
                    </td>
                    <td class="num">{delivery.attempts}</td>
                    <td>
                      {delivery.attemptLog.length === 0
                        ? '—'
                        : delivery.attemptLog.map((attempt, index) => (
                            <span
                              class="attempt"
                              key={index}
                              title={`${dateTime(attempt.at)}${attempt.error ? `: ${attempt.error}` : ''} (${Math.round(attempt.ms)} ms)`}
                            >
                              {attempt.status ?? attempt.error ?? 'no answer'}
                            </span>
                          ))}
                    </td>
                    <td>{delivery.nextAttemptAt ? `${relative(delivery.nextAttemptAt)} (${dateTime(delivery.nextAttemptAt)})` : '—'}</td>
                    <td>
                      {(delivery.state === 'failed' || delivery.state === 'cancelled') && sub?.status === 'active' && (
                        <button type="button" onClick={() => void redeliver(delivery)}>
                          Redeliver{' '}
                          <span class="sr-only">
                            {delivery.type} to {delivery.contactId}
                          </span>
                        </button>
                      )}
                      {outcome instanceof ApiError && <Problem error={outcome} context="Not redelivered" />}
                      {outcome && !(outcome instanceof ApiError) && <span class="success-text">queued again</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Scroll>
      )}
      <Pager pager={pager} nextCursor={deliveries.data?.nextCursor} label="Delivery log" />
      {deliveries.loading && !deliveries.data && <Loading what="deliveries" />}
      <p>
        <button type="button" class="link" onClick={() => navigate('#/triggers')}>
          Back to all triggers
        </button>
      </p>
    </section>
  );
}
