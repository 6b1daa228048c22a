import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { DistributionBars, ExplanationTable, MoverTable } from '../components';
import { DiffView, pretty } from '../diff';
import type { CheckState, JsonEditor, ProblemAt } from '../editor/json-editor';
import { navigate } from '../router';
import { article, useSession } from '../session';
import type { Contact, ImpactReport, Job, PreviewItem, Profile, ProfileDocument } from '../types';
import { BandChip, dateTime, followJob, JobProgress, Loading, Problem, RoleNote, score, Scroll, signed, toApiError } from '../ui';

/** The profile editor: the document, "Try it", impact, save with If-Match, publish. */

let schemaPromise: Promise<Record<string, unknown> | null> | undefined;
function profileSchema(): Promise<Record<string, unknown> | null> {
  schemaPromise ??= api.profileSchema().catch(() => {
    schemaPromise = undefined;
    return null;
  });
  return schemaPromise;
}

let editorModule: Promise<typeof import('../editor/json-editor')> | undefined;
const loadEditor = () => (editorModule ??= import('../editor/json-editor'));

export function cspNonce(): string | null {
  const content = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  return content && content !== '__CSP_NONCE__' ? content : null;
}

/** Parses the editor's text; a syntax error becomes an ApiError-shaped problem to show. */
function parseDocument(text: string): { document?: ProfileDocument; error?: ApiError } {
  try {
    const document = JSON.parse(text) as ProfileDocument;
    if (!document || typeof document !== 'object' || Array.isArray(document))
      return { error: new ApiError(0, { title: 'Not a profile', detail: 'The document must be a JSON object.' }) };
    return { document };
  } catch (error) {
    return {
      error: new ApiError(0, {
        title: 'JSON syntax',
        detail: `The document is not valid JSON: ${(error as Error).message}. Fix the line marked in the editor.`,
      }),
    };
  }
}

/** The editor's text printed like the documents it is compared with (so a diff shows changes, not key order). */
function samePrinting(text: string): string {
  try {
    return pretty(JSON.parse(text));
  } catch {
    return text;
  }
}

function statusText(profile: Profile): string {
  if (profile.status === 'archived') return 'archived';
  if (profile.publishing) return `publishing version ${profile.publishing.version}`;
  if (profile.live) return `live version ${profile.live.version}`;
  return 'draft, never published';
}

export function ProfileEditorPage({ id }: { id: string | null }) {
  const session = useSession();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [schema, setSchema] = useState<Record<string, unknown> | null | undefined>(undefined);
  const [text, setText] = useState<string | null>(null);
  const [savedText, setSavedText] = useState<string | null>(null);
  const [revision, setRevision] = useState<number | undefined>(undefined);
  const [check, setCheck] = useState<CheckState>({ state: 'checking' });
  /** The text changed since the last check (the linter waits for a pause in typing). */
  const [stale, setStale] = useState(true);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Profile | null>(null);
  const [template, setTemplate] = useState('points');
  const editor = useRef<JsonEditor | null>(null);
  const readOnly = !session.canAdmin || profile?.status === 'archived';

  useEffect(() => {
    void profileSchema().then(setSchema);
    if (id === null) {
      void import('../templates').then(({ templates }) => {
        const text = pretty(templates()[0].document);
        setText(text);
        setSavedText(null);
      });
      return;
    }
    api.profile(id).then(
      (loaded) => {
        setProfile(loaded);
        setRevision(loaded.revision);
        const text = pretty(loaded.draft);
        setText(text);
        setSavedText(text);
      },
      (error: unknown) => setLoadError(toApiError(error)),
    );
  }, [id]);

  const dirty = text !== null && text !== savedText;
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);

  if (loadError) {
    return (
      <section>
        <h1 tabIndex={-1}>Profile</h1>
        <Problem error={loadError} context="Could not load the profile" />
        <p>
          <a href="#/profiles">Back to the profiles</a>
        </p>
      </section>
    );
  }
  if (text === null || schema === undefined) return <Loading what="the profile" />;

  const replaceText = (next: string) => {
    setText(next);
    editor.current?.setDoc(next);
  };

  const save = async (overRevision?: number) => {
    setSaveError(null);
    setSavedNote(null);
    const parsed = parseDocument(editor.current?.text() ?? text);
    if (parsed.error) {
      setSaveError(parsed.error);
      return;
    }
    setSaving(true);
    try {
      if (id === null) {
        const created = await api.createProfile(parsed.document);
        setSavedText(text);
        navigate(`#/profiles/${created.id}`);
        return;
      }
      const saved = await api.saveDraft(id, parsed.document, overRevision ?? revision ?? 0);
      const savedPretty = pretty(saved.draft);
      setProfile(saved);
      setRevision(saved.revision);
      setConflict(null);
      // The service may normalise nothing, but keep what the user typed when it is the same document.
      if (pretty(parsed.document) === savedPretty) setSavedText(editor.current?.text() ?? text);
      else {
        replaceText(savedPretty);
        setSavedText(savedPretty);
      }
      setSavedNote(`Draft saved (revision ${saved.revision}) at ${new Date().toLocaleTimeString('en-GB')}.`);
    } catch (error) {
      const problem = toApiError(error);
      if (problem.status === 412 && problem.body.current) setConflict(problem.body.current as Profile);
      else setSaveError(problem);
    } finally {
      setSaving(false);
    }
  };

  const problems = check.state === 'checked' || check.state === 'syntax' ? check.problems : [];
  const errors = problems.filter((problem) => problem.severity === 'error');
  const warnings = problems.filter((problem) => problem.severity === 'warning');
  const title = id === null ? 'New profile' : (profile?.name ?? 'Profile');

  return (
    <section class="editor-page">
      <h1 tabIndex={-1}>{title}</h1>
      {profile && (
        <p class="meta">
          <span class="pill">{profile.kind}</span> <span class={`status status-${profile.status}`}>{statusText(profile)}</span>
          {profile.live && (
            <>
              {' '}
              · published {dateTime(profile.live.publishedAt)} by {profile.live.publishedBy ?? 'unknown'} ·{' '}
              {profile.live.contactsScored.toLocaleString('en')} contacts scored
            </>
          )}
          {' · '}
          <a href={`#/profiles/${profile.id}/versions`}>Versions</a>
          {profile.live && (
            <>
              {' · '}
              <a href={`#/dashboard/${profile.id}`}>Dashboard</a>
            </>
          )}
        </p>
      )}
      <div class="editor-layout">
        <div class="editor-main">
          <h2 id="document-heading">Document</h2>
          {id === null && (
            <div class="field">
              <label for="template">Start from</label>
              <select
                id="template"
                value={template}
                onChange={async (event) => {
                  const chosen = (event.target as HTMLSelectElement).value;
                  setTemplate(chosen);
                  const { templates } = await import('../templates');
                  const found = templates().find((item) => item.id === chosen);
                  if (found) replaceText(pretty(found.document));
                }}
              >
                <option value="points">Points (engagement)</option>
                <option value="relationship">Relationship strength</option>
                <option value="manual">Manual</option>
              </select>
            </div>
          )}
          {readOnly && profile?.status !== 'archived' && (
            <RoleNote>
              Read only: editing profiles needs an admin key, and this is {article(session.me.role)} key. You can still try the draft below.
            </RoleNote>
          )}
          {profile?.status === 'archived' && (
            <RoleNote>This profile is archived: it no longer scores, and its draft cannot change.</RoleNote>
          )}
          <p class="help" id="editor-help">
            Completion: Ctrl+Space. Hover a key for its documentation. The service checks the document as you type; each problem is marked
            at its line. Tab leaves the editor.
          </p>
          <ProblemsPanel
            check={check}
            stale={stale}
            errors={errors}
            warnings={warnings}
            reveal={(problem) => editor.current?.reveal(problem.from, problem.to)}
          />
          <EditorHost
            initial={text}
            schema={schema}
            readOnly={readOnly}
            onReady={(instance) => (editor.current = instance)}
            onChange={(next) => {
              setText(next);
              setSavedNote(null);
              setStale(true);
            }}
            onCheck={(state) => {
              setCheck(state);
              if (state.state !== 'checking') setStale(false);
            }}
          />
          {!readOnly && (
            <div class="actions">
              <button type="button" class="primary" onClick={() => void save()} disabled={saving || (!dirty && id !== null)}>
                {saving ? 'Saving…' : id === null ? 'Create draft' : 'Save draft'}
              </button>
              {dirty && savedText !== null && (
                <button type="button" onClick={() => replaceText(savedText)}>
                  Discard changes
                </button>
              )}
              <span class="save-state" role="status">
                {dirty ? 'Unsaved changes' : (savedNote ?? (revision !== undefined ? `Saved (revision ${revision})` : ''))}
              </span>
            </div>
          )}
          <Problem error={saveError} context={id === null ? 'Not created' : 'Not saved'} />
          {conflict && (
            <ConflictPanel
              mine={editor.current?.text() ?? text}
              theirs={conflict}
              yourRevision={revision}
              keepMine={() => {
                setRevision(conflict.revision);
                void save(conflict.revision);
              }}
              takeTheirs={() => {
                const theirs = pretty(conflict.draft);
                setProfile(conflict);
                setRevision(conflict.revision);
                replaceText(theirs);
                setSavedText(theirs);
                setConflict(null);
              }}
            />
          )}
        </div>
        <div class="editor-side">
          <TryIt profileId={id} getText={() => editor.current?.text() ?? text} />
          {id !== null && profile && (
            <>
              <Impact profile={profile} getText={() => editor.current?.text() ?? text} />
              <Publish
                profile={profile}
                revision={revision}
                dirty={dirty}
                hasErrors={errors.length > 0}
                onPublished={async () => {
                  const reloaded = await api.profile(profile.id);
                  setProfile(reloaded);
                  setRevision(reloaded.revision);
                }}
                onConflict={setConflict}
              />
              {session.canAdmin && profile.status !== 'archived' && <Archive profile={profile} />}
            </>
          )}
        </div>
      </div>
    </section>
  );
}

function EditorHost({
  initial,
  schema,
  readOnly,
  onReady,
  onChange,
  onCheck,
}: {
  initial: string;
  schema: Record<string, unknown> | null;
  readOnly: boolean;
  onReady: (editor: JsonEditor) => void;
  onChange: (text: string) => void;
  onCheck: (state: CheckState) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const callbacks = useRef({ onChange, onCheck });
  callbacks.current = { onChange, onCheck };
  useEffect(() => {
    let instance: JsonEditor | undefined;
    let cancelled = false;
    loadEditor().then(
      ({ createJsonEditor }) => {
        if (cancelled || !host.current) return;
        instance = createJsonEditor({
          parent: host.current,
          doc: initial,
          schema,
          nonce: cspNonce(),
          readOnly,
          label: 'Profile document (JSON)',
          describedBy: 'editor-help',
          onChange: (text) => callbacks.current.onChange(text),
          onCheck: (state) => callbacks.current.onCheck(state),
          check: (document, signal) => api.validate(document, signal),
        });
        onReady(instance);
      },
      (caught: unknown) => setError(toApiError(caught)),
    );
    return () => {
      cancelled = true;
      instance?.destroy();
    };
    // The editor is made once per page; later text changes go through setDoc.
  }, [readOnly]);
  return (
    <>
      <div class="editor-host" ref={host} data-testid="editor" />
      <Problem error={error} context="The editor could not be loaded" />
    </>
  );
}

function ProblemsPanel({
  check,
  stale,
  errors,
  warnings,
  reveal,
}: {
  check: CheckState;
  stale: boolean;
  errors: ProblemAt[];
  warnings: ProblemAt[];
  reveal: (problem: ProblemAt) => void;
}) {
  let summary: string;
  if (check.state === 'checking' || stale) summary = 'Checking with the service…';
  else if (check.state === 'failed') summary = `Could not check the document with the service: ${check.detail}`;
  else if (check.state === 'syntax') summary = 'The document is not valid JSON.';
  else if (errors.length > 0)
    summary = `${errors.length} error${errors.length === 1 ? '' : 's'}: the service would refuse this document${warnings.length ? `, and ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''}.`;
  else if (warnings.length > 0) summary = `Valid, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}.`;
  else summary = 'Valid: no errors, no warnings.';
  const all = [...errors, ...warnings].sort((a, b) => a.from - b.from);
  return (
    <div class={`problems problems-${check.state}`} aria-labelledby="problems-heading">
      <h3 id="problems-heading">Problems</h3>
      <p class="problems-summary" role="status" data-state={stale ? 'checking' : check.state}>
        {summary}
      </p>
      {all.length > 0 && (
        <ul class="problem-list">
          {all.map((problem) => (
            <li
              key={`${problem.severity}:${problem.path}:${problem.message}`}
              class={`problem-${problem.severity}`}
              data-line={problem.line}
            >
              <button type="button" class="link" onClick={() => reveal(problem)}>
                Line {problem.line}
              </button>{' '}
              <span class={`sev sev-${problem.severity}`}>{problem.severity === 'error' ? 'Error' : 'Warning'}</span>{' '}
              <code>{problem.path}</code> {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ConflictPanel({
  mine,
  theirs,
  yourRevision,
  keepMine,
  takeTheirs,
}: {
  mine: string;
  theirs: Profile;
  yourRevision: number | undefined;
  keepMine: () => void;
  takeTheirs: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div class="conflict" role="alert">
      <h3 ref={heading} tabIndex={-1}>
        Changed by someone else since you opened it
      </h3>
      <p>
        You opened revision {yourRevision ?? '?'}; the draft is now at revision {theirs.revision} (saved {dateTime(theirs.updatedAt)}).
        Nothing was overwritten. Compare, then choose.
      </p>
      <DiffView
        left={samePrinting(mine)}
        right={pretty(theirs.draft)}
        leftTitle="Yours (not saved)"
        rightTitle={`Theirs (revision ${theirs.revision})`}
        caption="Your document next to the saved draft"
      />
      <div class="actions">
        <button type="button" onClick={takeTheirs}>
          Take theirs (discard my edits)
        </button>
        <button type="button" class="danger" onClick={keepMine}>
          Save mine over theirs
        </button>
      </div>
    </div>
  );
}

function TryIt({ profileId, getText }: { profileId: string | null; getText: () => string }) {
  const [mode, setMode] = useState<'contacts' | 'interactions'>('contacts');
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<Contact[]>([]);
  const [searchError, setSearchError] = useState<ApiError | null>(null);
  const [chosen, setChosen] = useState<Contact[]>([]);
  const [pasted, setPasted] = useState(() =>
    JSON.stringify(
      [
        { contactId: 'try-1', type: 'meeting', occurredAt: new Date(Date.now() - 3 * 86_400_000).toISOString() },
        { contactId: 'try-1', type: 'email_open' },
      ],
      null,
      2,
    ),
  );
  const [result, setResult] = useState<PreviewItem[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const typed = query.trim();
    if (!typed) {
      setFound([]);
      setSearchError(null);
      return;
    }
    const timer = setTimeout(() => {
      api.contacts({ q: typed, limit: 8 }).then(
        (page) => {
          setFound(page.items);
          setSearchError(null);
        },
        (caught: unknown) => setSearchError(toApiError(caught)),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [query]);

  const run = async () => {
    setError(null);
    setResult(null);
    const parsed = parseDocument(getText());
    if (parsed.error) {
      setError(parsed.error);
      return;
    }
    let body: { document: unknown; contactIds?: string[]; interactions?: unknown[] };
    if (mode === 'contacts') {
      if (chosen.length === 0) {
        setError(new ApiError(0, { title: 'No contact', detail: 'Pick at least one contact: search by id or name, then Add.' }));
        return;
      }
      body = { document: parsed.document, contactIds: chosen.map((contact) => contact.id) };
    } else {
      let interactions: unknown;
      try {
        interactions = JSON.parse(pasted);
      } catch (caught) {
        setError(
          new ApiError(0, {
            title: 'JSON syntax',
            detail: `The interactions are not valid JSON: ${(caught as Error).message}`,
            errors: [{ path: 'interactions', message: 'not JSON' }],
          }),
        );
        return;
      }
      body = { document: parsed.document, interactions: Array.isArray(interactions) ? interactions : [interactions] };
    }
    setBusy(true);
    try {
      setResult((await api.preview(profileId, body)).items);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="try-heading">
      <h2 id="try-heading">Try it</h2>
      <p class="help">
        Scores contacts with the editor’s document as it is now — saved or not — next to the live version. Nothing is stored.
      </p>
      <fieldset class="mode">
        <legend>Try on</legend>
        <label>
          <input type="radio" name="try-mode" value="contacts" checked={mode === 'contacts'} onChange={() => setMode('contacts')} /> stored
          contacts
        </label>
        <label>
          <input
            type="radio"
            name="try-mode"
            value="interactions"
            checked={mode === 'interactions'}
            onChange={() => setMode('interactions')}
          />{' '}
          pasted interactions
        </label>
      </fieldset>
      {mode === 'contacts' ? (
        <div>
          <div class="field">
            <label for="try-search">Find contacts by id or name</label>
            <input
              id="try-search"
              type="search"
              value={query}
              autocomplete="off"
              onInput={(event) => setQuery((event.target as HTMLInputElement).value)}
              aria-describedby={searchError ? 'try-search-error' : undefined}
            />
          </div>
          {searchError && (
            <p class="field-error" id="try-search-error" role="alert">
              {searchError.detail}
            </p>
          )}
          {found.length > 0 && (
            <ul class="pick-list" aria-label="Matching contacts">
              {found.map((contact) => (
                <li key={contact.id}>
                  <span>
                    {contact.name ?? contact.id} <span class="muted">{contact.name ? contact.id : ''}</span>
                  </span>
                  <button
                    type="button"
                    disabled={chosen.some((item) => item.id === contact.id)}
                    onClick={() => {
                      setChosen((list) => (list.some((item) => item.id === contact.id) ? list : [...list, contact]));
                      setQuery('');
                      document.getElementById('try-search')?.focus();
                    }}
                    aria-label={`Add ${contact.name ?? contact.id}`}
                  >
                    Add
                  </button>
                </li>
              ))}
            </ul>
          )}
          {query.trim() && found.length === 0 && !searchError && <p class="muted">No contact starts with “{query.trim()}”.</p>}
          {chosen.length > 0 && (
            <ul class="chosen" aria-label="Contacts to try">
              {chosen.map((contact) => (
                <li key={contact.id}>
                  {contact.name ?? contact.id}
                  <button
                    type="button"
                    class="link"
                    onClick={() => setChosen((list) => list.filter((item) => item.id !== contact.id))}
                    aria-label={`Remove ${contact.name ?? contact.id}`}
                  >
                    ✕
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : (
        <div class="field">
          <label for="try-interactions">Interactions (a JSON list, as POST /v1/interactions takes them)</label>
          <textarea
            id="try-interactions"
            rows={8}
            spellcheck={false}
            value={pasted}
            onInput={(event) => setPasted((event.target as HTMLTextAreaElement).value)}
          />
        </div>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={() => void run()} disabled={busy}>
          {busy ? 'Scoring…' : 'Try the document'}
        </button>
      </div>
      <Problem error={error} context="Could not try the document" />
      {result && <PreviewResults items={result} />}
    </section>
  );
}

function PreviewResults({ items }: { items: PreviewItem[] }) {
  return (
    <div class="preview-results" aria-live="polite">
      <Scroll label="Scores of the document next to the live version">
        <table>
          <caption>This document next to the live version</caption>
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col" class="num">
                Live
              </th>
              <th scope="col" class="num">
                This document
              </th>
              <th scope="col" class="num">
                Change
              </th>
              <th scope="col">Band</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.contactId} class={item.bandChanged ? 'band-changed' : undefined}>
                <th scope="row">{item.contactId}</th>
                <td class="num">{item.published ? score(item.published.score) : '—'}</td>
                <td class="num">{score(item.draft.score)}</td>
                <td class="num">{signed(item.delta)}</td>
                <td>
                  {item.published ? <BandChip band={item.published.band} /> : <span class="muted">not live</span>}
                  {item.bandChanged ? (
                    <>
                      {' → '}
                      <BandChip band={item.draft.band} /> <strong class="changed">band changes</strong>
                    </>
                  ) : item.published ? null : (
                    <>
                      {' → '}
                      <BandChip band={item.draft.band} />
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      {items.map((item) => (
        <details key={item.contactId} class="why">
          <summary>
            Why {item.contactId} scores {score(item.draft.score)}: per rule
          </summary>
          <ExplanationTable
            lines={item.draft.explanation}
            compareWith={item.published?.explanation}
            compareLabel={item.published ? `Live v${item.published.version}` : undefined}
            caption={`Per-rule explanation for ${item.contactId}`}
          />
        </details>
      ))}
    </div>
  );
}

function Impact({ profile, getText }: { profile: Profile; getText: () => string }) {
  const session = useSession();
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  if (!session.canAdmin) {
    return (
      <section class="panel" aria-labelledby="impact-heading">
        <h2 id="impact-heading">Impact before publishing</h2>
        <RoleNote>Computing the impact over every contact needs an admin key; this is {article(session.me.role)} key.</RoleNote>
      </section>
    );
  }
  const start = async () => {
    setError(null);
    setJob(null);
    const parsed = parseDocument(getText());
    if (parsed.error) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    try {
      const started = await api.impact(profile.id, parsed.document);
      const finished = await followJob(started.job.id, (update) => alive.current && setJob(update), api.job);
      if (finished.state === 'failed')
        setError(new ApiError(0, { title: 'The impact job failed', detail: finished.error ?? 'No reason given.' }));
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  const report = job?.state === 'succeeded' ? (job.result as ImpactReport) : null;
  return (
    <section class="panel" aria-labelledby="impact-heading">
      <h2 id="impact-heading">Impact before publishing</h2>
      <p class="help">How the editor’s document would move every contact compared with the live version, computed by a background job.</p>
      <div class="actions">
        <button type="button" onClick={() => void start()} disabled={busy}>
          {busy ? 'Computing…' : 'Compute impact'}
        </button>
      </div>
      {job && <JobProgress job={job} label="Impact over all contacts" />}
      <Problem error={error} context="No impact report" />
      {report && (
        <div class="impact-report">
          <p class="big-figure">
            <strong>{report.changedBand.toLocaleString('en')}</strong> of {report.contacts.toLocaleString('en')} contacts would change band.
          </p>
          <p>
            Average: {score(report.averageLive)} live{report.liveVersion ? ` (v${report.liveVersion})` : ''} → {score(report.averageDraft)}{' '}
            with this document.
          </p>
          <DistributionBars
            caption="Contacts per band: this document and the live version"
            firstLabel="This document"
            secondLabel={report.liveVersion ? `Live v${report.liveVersion}` : 'Live (none yet)'}
            rows={report.distribution.map((row) => ({ band: row.band, color: row.color, first: row.draft, second: row.live }))}
          />
          {report.moves.length > 0 && (
            <Scroll label="Moves between bands">
              <table>
                <caption>Moves between bands</caption>
                <thead>
                  <tr>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                    <th scope="col" class="num">
                      Contacts
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.moves.map((move) => (
                    <tr key={`${move.from}->${move.to}`}>
                      <td>{move.from ?? 'no band'}</td>
                      <td>{move.to ?? 'no band'}</td>
                      <td class="num">{move.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
          <MoverTable rows={report.risers} caption="Biggest rises" />
          <MoverTable rows={report.fallers} caption="Biggest falls" />
        </div>
      )}
    </section>
  );
}

function Publish({
  profile,
  revision,
  dirty,
  hasErrors,
  onPublished,
  onConflict,
}: {
  profile: Profile;
  revision: number | undefined;
  dirty: boolean;
  hasErrors: boolean;
  onPublished: () => Promise<void>;
  onConflict: (current: Profile) => void;
}) {
  const session = useSession();
  const [job, setJob] = useState<Job | null>(null);
  const [version, setVersion] = useState<number | null>(profile.publishing?.version ?? null);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [notify, setNotify] = useState(false);
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const follow = async (jobId: string, number: number) => {
    setBusy(true);
    try {
      const finished = await followJob(jobId, (update) => alive.current && setJob(update), api.job);
      if (!alive.current) return;
      if (finished.state === 'failed')
        setError(
          new ApiError(0, { title: `Version ${number} failed to publish`, detail: finished.error ?? 'The job failed without saying why.' }),
        );
      else {
        setDone(`Version ${number} is live.`);
        await onPublished();
      }
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  // A publish already under way when the page opened: follow it.
  useEffect(() => {
    if (profile.publishing) void follow(profile.publishing.job.id, profile.publishing.version);
  }, []);

  if (!session.canAdmin) {
    return (
      <section class="panel" aria-labelledby="publish-heading">
        <h2 id="publish-heading">Publish</h2>
        <RoleNote>Publishing needs an admin key; this is {article(session.me.role)} key.</RoleNote>
      </section>
    );
  }
  if (profile.status === 'archived') return null;
  const publish = async () => {
    setError(null);
    setDone(null);
    setJob(null);
    try {
      const started = await api.publish(profile.id, revision ?? profile.revision, notify);
      setVersion(started.version);
      await follow(started.job.id, started.version);
    } catch (caught) {
      const problem = toApiError(caught);
      if (problem.status === 412 && problem.body.current) onConflict(problem.body.current as Profile);
      setError(problem);
    }
  };
  const blocked = dirty ? 'Save the draft first: publishing makes the saved draft live.' : hasErrors ? 'Fix the errors first.' : null;
  return (
    <section class="panel" aria-labelledby="publish-heading">
      <h2 id="publish-heading">Publish</h2>
      <p class="help">
        Makes the saved draft a new version and rescores every contact in the background; reads keep serving{' '}
        {profile.live ? `version ${profile.live.version}` : 'nothing'} until it is done.
      </p>
      <label class="check">
        <input type="checkbox" checked={notify} onChange={(event) => setNotify((event.target as HTMLInputElement).checked)} /> Deliver the
        threshold crossings the new version causes
      </label>
      <div class="actions">
        <button
          type="button"
          class="primary"
          onClick={() => void publish()}
          disabled={busy || blocked !== null}
          aria-describedby={blocked ? 'publish-blocked' : undefined}
        >
          {busy ? 'Publishing…' : 'Publish'}
        </button>
        {blocked && (
          <span class="muted" id="publish-blocked">
            {blocked}
          </span>
        )}
      </div>
      {job && <JobProgress job={job} label={`Publishing version ${version ?? '?'}`} />}
      {done && (
        <p class="success" role="status">
          {done}
        </p>
      )}
      <Problem error={error} context="Publish" />
    </section>
  );
}

function Archive({ profile }: { profile: Profile }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <section class="panel danger-zone" aria-labelledby="archive-heading">
      <h2 id="archive-heading">Archive</h2>
      <p class="help">An archived profile stops scoring and leaves lists; its history stays.</p>
      {confirming ? (
        <div class="actions">
          <button
            type="button"
            class="danger"
            onClick={() =>
              api.archiveProfile(profile.id).then(
                () => navigate('#/profiles'),
                (caught: unknown) => setError(toApiError(caught)),
              )
            }
          >
            Yes, archive {profile.name}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Archive…
        </button>
      )}
      <Problem error={error} context="Not archived" />
    </section>
  );
}
