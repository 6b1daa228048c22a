import type {
  Account,
  AccountRelationships,
  Contact,
  ContactWithScores,
  Delivery,
  FieldProblem,
  History,
  Insights,
  Job,
  Me,
  Page,
  PreviewItem,
  Profile,
  ProfileDocument,
  ProfileVersion,
  Relationships,
  Score,
  Segment,
  SegmentFilter,
  Subscription,
  SubscriptionEvent,
  TestEventResult,
  TimelineItem,
  Validation,
} from './types';

/**
 * The console's only way out: the public /v1 API with the key typed at sign-in. The key lives in
 * sessionStorage (gone when the tab closes) and nowhere else.
 */

const KEY = 'engagement-score.api-key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, key);
}

/** An answer other than 2xx, as the service's problem+json says it (or as close as the answer allows). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldProblem[];
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    const detail =
      typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : `The service answered ${status}.`;
    super(detail);
    this.status = status;
    this.title = typeof body.title === 'string' ? body.title : status === 0 ? 'No answer' : `HTTP ${status}`;
    this.detail = detail;
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldProblem[]).filter((item) => item && typeof item.path === 'string') : [];
    this.body = body;
  }
  /** The message of the field error at `path` (or under it), if any. */
  field(path: string): string | undefined {
    return this.errors.find((error) => error.path === path || error.path.startsWith(`${path}.`))?.message;
  }
}

/** Called when the key stops working (revoked, or the session lost it): the app goes back to sign-in. */
let onUnauthorized: (error: ApiError) => void = () => undefined;
export function setUnauthorizedHandler(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

type RequestOptions = { body?: unknown; headers?: Record<string, string>; key?: string; signal?: AbortSignal };

export type Answer<T> = { body: T; headers: Headers; status: number };

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, { title: 'No answer', detail: `The service did not answer (${(error as Error).message}). Is it running?` });
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    const body =
      parsed && typeof parsed === 'object'
        ? (parsed as Record<string, unknown>)
        : { detail: `The service answered ${response.status} ${response.statusText}${text && !parsed ? `: ${text.slice(0, 200)}` : ''}.` };
    const error = new ApiError(response.status, body);
    if (response.status === 401 && options.key === undefined) onUnauthorized(error);
    throw error;
  }
  return { body: parsed as T, headers: response.headers, status: response.status };
}

const get = async <T>(path: string, signal?: AbortSignal) => (await request<T>('GET', path, { signal })).body;
const post = async <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  (await request<T>('POST', path, { body: body ?? {}, headers })).body;

const q = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
const e = encodeURIComponent;
const ifMatch = (revision: number | undefined) => (revision === undefined ? undefined : { 'If-Match': `"${revision}"` });

export const api = {
  me: (key?: string) => request<Me>('GET', '/v1/me', { key }).then((answer) => answer.body),

  profileSchema: () => get<Record<string, unknown>>('/v1/schemas/profile.json'),
  profiles: (includeArchived = false) =>
    get<{ items: Profile[] }>(`/v1/profiles${q({ includeArchived: includeArchived ? 'true' : undefined })}`),
  profile: (id: string) => get<Profile>(`/v1/profiles/${e(id)}`),
  createProfile: (document: unknown) => post<Profile>('/v1/profiles', document),
  saveDraft: async (id: string, document: unknown, revision: number) =>
    (await request<Profile>('PUT', `/v1/profiles/${e(id)}`, { body: document, headers: ifMatch(revision) })).body,
  archiveProfile: (id: string) => request<void>('DELETE', `/v1/profiles/${e(id)}`),
  validate: (document: unknown, signal?: AbortSignal) =>
    request<Validation>('POST', '/v1/profiles/validate', { body: document, signal }).then((answer) => answer.body),
  preview: (id: string | null, body: { document: unknown; contactIds?: string[]; interactions?: unknown[] }) =>
    post<{ items: PreviewItem[] }>(id ? `/v1/profiles/${e(id)}/preview` : '/v1/profiles/preview', body),
  impact: (id: string, document?: unknown) =>
    post<{ job: { id: string } }>(`/v1/profiles/${e(id)}/impact`, document === undefined ? {} : { document }),
  publish: (id: string, revision: number, notify: boolean) =>
    post<{ version: number; job: { id: string } }>(`/v1/profiles/${e(id)}/publish`, { notify }, ifMatch(revision)),
  job: (id: string) => get<Job>(`/v1/jobs/${e(id)}`),
  versions: (id: string) => get<{ items: ProfileVersion[] }>(`/v1/profiles/${e(id)}/versions`),
  restore: (id: string, version: number, revision: number) =>
    post<Profile>(`/v1/profiles/${e(id)}/versions/${version}/restore`, undefined, ifMatch(revision)),
  insights: (id: string, days: number, limit = 10) => get<Insights>(`/v1/profiles/${e(id)}/insights${q({ days, limit })}`),

  contacts: (params: { q?: string; profileId?: string; sort?: string; limit?: number; cursor?: string | null; accountId?: string }) =>
    get<Page<Contact>>(`/v1/contacts${q(params)}`),
  contact: (id: string) => get<ContactWithScores>(`/v1/contacts/${e(id)}`),
  score: (profileId: string, contactId: string) => get<Score>(`/v1/profiles/${e(profileId)}/scores/${e(contactId)}`),
  history: (profileId: string, contactId: string, interval: 'day' | 'week') =>
    get<History>(`/v1/profiles/${e(profileId)}/scores/${e(contactId)}/history${q({ interval })}`),
  adjust: (profileId: string, contactId: string, body: { delta?: number; set?: number; reason: string }) =>
    post<Score>(`/v1/profiles/${e(profileId)}/scores/${e(contactId)}/adjustments`, body),
  relationships: (contactId: string, profileId?: string) =>
    get<Relationships>(`/v1/contacts/${e(contactId)}/relationships${q({ profileId })}`),
  timeline: (contactId: string, cursor?: string | null, limit = 20) =>
    get<Page<TimelineItem>>(`/v1/contacts/${e(contactId)}/interactions${q({ cursor, limit })}`),

  account: (accountId: string, profileId?: string) => get<Account>(`/v1/accounts/${e(accountId)}${q({ profileId })}`),
  accountRelationships: (accountId: string, profileId?: string) =>
    get<AccountRelationships>(`/v1/accounts/${e(accountId)}/relationships${q({ profileId })}`),

  segments: () => get<{ items: Segment[] }>('/v1/segments'),
  segment: (id: string) => get<Segment>(`/v1/segments/${e(id)}`),
  segmentContacts: (id: string, params: { sort?: string; limit?: number; cursor?: string | null }) =>
    get<Page<Contact>>(`/v1/segments/${e(id)}/contacts${q(params)}`),
  createSegment: (body: { name: string; description?: string; filter: SegmentFilter }) => post<Segment>('/v1/segments', body),
  deleteSegment: (id: string) => request<void>('DELETE', `/v1/segments/${e(id)}`),

  subscriptions: () => get<{ items: Subscription[] }>('/v1/subscriptions'),
  subscription: (id: string) => get<Subscription>(`/v1/subscriptions/${e(id)}`),
  createSubscription: (body: {
    profileId?: string;
    segmentId?: string;
    event: SubscriptionEvent;
    threshold?: number;
    tags?: string[];
    url: string;
    description?: string;
  }) => post<Subscription>('/v1/subscriptions', body),
  deleteSubscription: (id: string) => request<void>('DELETE', `/v1/subscriptions/${e(id)}`),
  deliveries: (id: string, cursor?: string | null) =>
    get<Page<Delivery>>(`/v1/subscriptions/${e(id)}/deliveries${q({ cursor, limit: 20 })}`),
  testEvent: (id: string) => post<TestEventResult>(`/v1/subscriptions/${e(id)}/test`),
  redeliver: (id: string) => post<Delivery>(`/v1/deliveries/${e(id)}/redeliver`),
};

/** Preview documents and 412 bodies: ProfileDocument-shaped JSON. */
export type { ProfileDocument };
