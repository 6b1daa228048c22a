import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import type { Band, Job } from './types';

/** Small shared pieces: loading data, showing problems, numbers, bands, progress, pagination. */

export type Loaded<T> = { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void; set: (data: T) => void };

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, { title: 'Error', detail: error instanceof Error ? error.message : String(error) });
}

/** Loads `load()` whenever `deps` change; stale answers (from earlier deps) are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((previous) => ({ data: previous.data, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: unknown) => mine === generation.current && setState({ error: toApiError(error), loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  const set = useCallback((data: T) => setState({ data, loading: false }), []);
  return { ...state, reload, set } as Loaded<T>;
}

/** An API error in words, next to what caused it; field errors listed with their field. */
export function Problem({ error, context, id }: { error: ApiError | undefined | null; context?: string; id?: string }) {
  if (!error) return null;
  return (
    <div class="problem" role="alert" id={id}>
      <strong>
        {context ? `${context}: ` : ''}
        {error.title}
        {error.status ? ` (${error.status})` : ''}
      </strong>
      <p>{error.detail}</p>
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((item) => (
            <li key={`${item.path}:${item.message}`}>
              <code>{item.path}</code>: {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The message of one field, shown under the field (and tied to it with aria-describedby). */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="field-error" id={id}>
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export const score = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : value.toLocaleString('en', { minimumFractionDigits: 0, maximumFractionDigits: 2 });

export const signed = (value: number | null | undefined) => {
  if (value === null || value === undefined) return '—';
  const rounded = Math.round(value * 100) / 100;
  return `${rounded > 0 ? '+' : rounded < 0 ? '−' : '±'}${Math.abs(rounded).toLocaleString('en', { maximumFractionDigits: 2 })}`;
};

export const dateTime = (value: string | null | undefined) =>
  value ? new Date(value).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—';
export const date = (value: string | null | undefined) =>
  value ? new Date(value).toLocaleDateString('en-GB', { dateStyle: 'medium' }) : '—';

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function relative(value: string): string {
  const ms = new Date(value).getTime() - Date.now();
  const days = ms / 86_400_000;
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (Math.abs(days) >= 1) return format.format(Math.round(days), 'day');
  const hours = ms / 3_600_000;
  if (Math.abs(hours) >= 1) return format.format(Math.round(hours), 'hour');
  return format.format(Math.round(ms / 60_000), 'minute');
}

/** A band: a swatch in its colour and its name in the page's text colour (readable whatever the colour). */
export function BandChip({ band, name }: { band?: Band | null; name?: string | null }) {
  const label = band?.name ?? name ?? null;
  if (!label) return <span class="band band-none">no band</span>;
  return (
    <span class="band">
      <span class="swatch" aria-hidden="true" style={{ backgroundColor: band?.color ?? 'transparent' }} />
      {label}
    </span>
  );
}

export function Trend({ value, label }: { value: number | null | undefined; label: string }) {
  const direction = value === null || value === undefined || Math.abs(value) < 0.005 ? 'flat' : value > 0 ? 'up' : 'down';
  return (
    <span class={`trend trend-${direction}`}>
      <span aria-hidden="true">{direction === 'up' ? '▲' : direction === 'down' ? '▼' : '■'} </span>
      {signed(value)} <span class="muted">{label}</span>
    </span>
  );
}

/** A background job's progress: a real <progress> with done/total, rate and time left. */
export function JobProgress({ job, label }: { job: Job; label: string }) {
  const id = `progress-${job.id}`;
  return (
    <div class="job" data-state={job.state}>
      <label for={id}>{label}</label>
      <progress id={id} max={100} value={job.percent} aria-valuetext={`${job.percent}%`}>
        {job.percent}%
      </progress>
      <p class="job-figures" aria-live="polite">
        <span class="percent">{Math.round(job.percent)} %</span> · {job.done.toLocaleString('en')} / {job.total.toLocaleString('en')}{' '}
        contacts
        {job.state === 'running' && job.ratePerSecond !== null
          ? ` · ${job.ratePerSecond.toLocaleString('en')} contacts/s · ${duration(job.secondsLeft)} left`
          : ''}
        {job.state === 'queued' ? ' · waiting for a worker' : ''}
        {job.state === 'succeeded' ? ' · done' : ''}
        {job.state === 'failed' ? ' · failed' : ''}
      </p>
    </div>
  );
}

/** Follows a job until it succeeds or fails, every `everyMs`. */
export async function followJob(
  id: string,
  onUpdate: (job: Job) => void,
  fetchJob: (id: string) => Promise<Job>,
  everyMs = 400,
  signal?: AbortSignal,
): Promise<Job> {
  for (;;) {
    const job = await fetchJob(id);
    onUpdate(job);
    if (job.state === 'succeeded' || job.state === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    if (signal?.aborted) return job;
  }
}

/** A horizontally scrollable area that keyboard users can scroll too. */
export function Scroll({ label, children, extraClass }: { label: string; children: ComponentChildren; extraClass?: string }) {
  return (
    <div class={extraClass ? `scroll ${extraClass}` : 'scroll'} tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

/** Cursor pagination: the cursors of the pages before this one, so "Previous" works too. */
export function usePager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((list) => [...list, nextCursor]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    reset: () => setCursors([null]),
  };
}

export function Pager({
  pager,
  nextCursor,
  label,
}: {
  pager: ReturnType<typeof usePager>;
  nextCursor: string | null | undefined;
  label: string;
}) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        ← Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" onClick={() => nextCursor && pager.next(nextCursor)} disabled={!nextCursor}>
        Next →
      </button>
    </nav>
  );
}

export function contactHref(id: string): string {
  return `#/contacts/${encodeURIComponent(id)}`;
}

export function ContactLink({ id, name }: { id: string; name?: string | null }) {
  return (
    <a href={contactHref(id)}>
      {name || id}
      {name ? <span class="muted"> ({id})</span> : null}
    </a>
  );
}

export function VipTag({ tags }: { tags: string[] }) {
  return tags.includes('vip') ? <span class="tag tag-vip">VIP</span> : null;
}

/** Says why a control is missing: the key's role may not use it. */
export function RoleNote({ children }: { children: ComponentChildren }) {
  return <p class="role-note">{children}</p>;
}
