import { execSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import pino from 'pino';
import { ScoringWorker } from '../service/jobs/scoring-worker';
import { CrossingDetector } from '../service/scoring/crossings';
import { ScoringEngine } from '../service/scoring/engine';
import { contactFact, interactionFact } from '../service/scoring/evaluate';
import { compileProfile, type ProfileDocument } from '../service/scoring/profile';
import { referenceMatches } from '../service/scoring/rules/reference';
import { ScoreModel } from '../service/scoring/math';
import { createPool, type Db } from '../service/store/db';
import { startEmbedded, type EmbeddedDatabase } from '../service/store/embedded';
import { ensureWorkspace, insertApiKey } from '../service/store/keys';
import { insertProfile, insertVersion, switchLiveVersion } from '../service/store/profiles';
import { insertSubscription } from '../service/store/subscriptions';
import { migrate } from '../service/store/migrate';
import { pointsProfile, relationshipProfile } from './profiles';
import { Progress } from './lib/progress';
import { startAutovacuumStandIn } from './lib/autovacuum';
import { api, runClient, startService, type RunningService } from './lib/service';
import { watchMachine } from './lib/machine';
import { DAY, contactAt, contactId, interactionAt, type WorkloadShape } from './lib/workload';

/**
 * `npm run bench`: measures the targets of docs/performance.md and writes bench/RESULTS.md. Every figure is reported next to a
 * baseline measured in the same run (these machines are noisy), as a ratio. `--smoke` runs the same
 * harness on tiny data in seconds (CI runs it so the harness cannot rot) and writes elsewhere.
 */

const smoke = process.argv.includes('--smoke');
/** Keep the benchmark database afterwards (to look into it). */
const keep = process.argv.includes('--keep');
const outputArgument = process.argv.indexOf('--out');
const root = path.resolve(__dirname, '../..');
const output =
  outputArgument > 0
    ? path.resolve(process.argv[outputArgument + 1])
    : path.join(root, smoke ? 'bench/.work/RESULTS.smoke.md' : 'bench/RESULTS.md');

const sizes = smoke
  ? {
      contacts: 1_000,
      interactions: 10_000,
      segments: [1_000, 3_000, 10_000],
      smallBatchInteractions: 5_000,
      scaling: [1_000, 5_000],
      crossingContacts: [2_000, 20_000],
      due: 100,
      readSeconds: 3,
      insightRuns: 3,
      lagRate: 2_000,
      lagSeconds: 3,
      heavy: 1_000,
    }
  : {
      contacts: 100_000,
      interactions: 1_000_000,
      /** Stored sizes at which the end-to-end cost per interaction is reported. */
      segments: [10_000, 100_000, 1_000_000],
      smallBatchInteractions: 100_000,
      scaling: [10_000, 100_000],
      crossingContacts: [10_000, 1_000_000],
      due: 1_000,
      readSeconds: 15,
      insightRuns: 20,
      lagRate: 20_000,
      lagSeconds: 60,
      heavy: 10_000,
    };

const SEED = 20261123;
const KEY = 'bench-admin-key-0123456789abcdef0123456789';
const silent = pino({ level: 'silent' });

type Figure = { name: string; value: string; baseline: string; ratio: string; target: string; met: boolean | null };
const figures: Figure[] = [];
const notes: string[] = [];

function record(figure: Figure): void {
  figures.push(figure);
  process.stderr.write(
    `  → ${figure.name}: ${figure.value} (baseline ${figure.baseline}, ratio ${figure.ratio}) target ${figure.target}${figure.met === false ? ' — MISSED' : ''}\n`,
  );
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function waitForJob(
  baseUrl: string,
  key: string,
  jobId: string,
  onTick?: () => void,
): Promise<{ state: string; total: number; done: number }> {
  for (;;) {
    const job = await api<{ state: string; total: number; done: number; error?: string }>(baseUrl, key, 'GET', `/v1/jobs/${jobId}`);
    if (job.state === 'succeeded') return job;
    if (job.state === 'failed') throw new Error(`job ${jobId} failed: ${job.error}`);
    onTick?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function publish(
  baseUrl: string,
  key: string,
  document: unknown,
  existingId?: string,
): Promise<{ id: string; seconds: number; peakMiB?: number }> {
  const id = existingId ?? (await api<{ id: string }>(baseUrl, key, 'POST', '/v1/profiles', document)).id;
  if (existingId) await api(baseUrl, key, 'PUT', `/v1/profiles/${id}`, document);
  const { seconds } = await timed(async () => {
    const { job } = await api<{ job: { id: string } }>(baseUrl, key, 'POST', `/v1/profiles/${id}/publish`, {});
    await waitForJob(baseUrl, key, job.id);
  });
  return { id, seconds };
}

async function workspaceKey(db: Db, name: string): Promise<string> {
  const workspace = await ensureWorkspace(db, name);
  return (await insertApiKey(db, { workspaceId: workspace.id, role: 'admin', name: 'bench', origin: 'cli' })).key;
}

/** COPY of the same interaction rows into a bare table: the physical limit of loading here. */
async function copyBaseline(url: string, shape: WorkloadShape, count: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The interactions table's columns without its keys and indexes.
    await client.query(`DROP TABLE IF EXISTS bench_copy;
      CREATE TABLE bench_copy (workspace_id uuid, id text, contact_id text, type text, occurred_at timestamptz, actor_id text, channel text, direction text, properties jsonb)`);
    const chunks: string[] = [];
    const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
    const progress = new Progress('preparing COPY rows', count);
    for (let offset = 0; offset < count; offset += 10_000) {
      let text = '';
      for (let index = offset; index < Math.min(count, offset + 10_000); index++) {
        const row = interactionAt(shape, index);
        text += `00000000-0000-4000-8000-000000000001\t${row.id}\t${row.contactId}\t${row.type}\t${row.occurredAt}\t${row.actorId}\t${row.channel}\t${row.direction}\t${escape(JSON.stringify(row.properties))}\n`;
      }
      chunks.push(text);
      progress.add(Math.min(10_000, count - offset));
    }
    progress.finish();
    const { seconds } = await timed(() =>
      pipeline(
        Readable.from(chunks),
        client.query(
          copyFrom(
            'COPY bench_copy (workspace_id, id, contact_id, type, occurred_at, actor_id, channel, direction, properties) FROM STDIN',
          ),
        ),
      ),
    );
    await client.query('DROP TABLE bench_copy');
    return count / seconds;
  } finally {
    await client.end();
  }
}

/** Reading every interaction of the workspace out and writing as many ledger-sized rows back: a publish's I/O floor. */
async function publishFloor(url: string, workspaceId: string, ledgerRows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_ledger_copy; CREATE TABLE bench_ledger_copy (LIKE score_ledger)');
    // A ledger row: workspace, version, contact, at, kind, rule, points, counted, seq, actor, adjustment.
    const { seconds } = await timed(async () => {
      let bytes = 0;
      const out = client.query(copyTo(`COPY (SELECT * FROM interactions WHERE workspace_id = '${workspaceId}') TO STDOUT`));
      for await (const chunk of out) bytes += (chunk as Buffer).length;
      void bytes;
      const rows = function* () {
        for (let offset = 0; offset < ledgerRows; offset += 10_000) {
          let text = '';
          for (let index = offset; index < Math.min(ledgerRows, offset + 10_000); index++)
            text += `${workspaceId}\t1\t${contactId(index % 100_000)}\t2026-01-01T00:00:00Z\t0\t1\t1.5\tt\t${index}\trep-1\t\\N\n`;
          yield text;
        }
      };
      await pipeline(Readable.from(rows()), client.query(copyFrom('COPY bench_ledger_copy FROM STDIN')));
    });
    await client.query('DROP TABLE bench_ledger_copy');
    return seconds;
  } finally {
    await client.end();
  }
}

/** The compiled evaluator against json-rules-engine's engine.run(), per interaction, on the same rules and data. */
async function evaluationBenchmark(shape: WorkloadShape): Promise<void> {
  const document = pointsProfile() as unknown as ProfileDocument;
  const profile = compileProfile(document);
  const count = smoke ? 2_000 : 20_000;
  const cases = Array.from({ length: count }, (_, index) => {
    const interaction = interactionAt(shape, index);
    const contact = contactAt(shape, Number(interaction.contactId.slice(1)));
    return {
      interaction: interactionFact({
        ...interaction,
        seq: index,
        occurredAt: Date.parse(interaction.occurredAt),
        properties: interaction.properties,
      }),
      contact: contactFact({ ...contact, attributes: contact.attributes }),
    };
  });
  const points = profile.rules.map((rule) => rule.points);
  let compiledTotal = 0;
  const compiled = await timed(() => {
    for (let repeat = 0; repeat < 20; repeat++) {
      compiledTotal = 0;
      for (const facts of cases) for (const rule of profile.rules) if (rule.conditions.lenient(facts)) compiledTotal += rule.points;
    }
    return Promise.resolve();
  });
  // Kept and checked so that the timed loop cannot be optimised away.
  if (cases.length > 0 && !Number.isFinite(compiledTotal)) throw new Error('the compiled rules produced no total');
  const rules = (document.rules ?? []).map((rule) => ({ conditions: rule.conditions, priority: rule.priority }));
  let referenceTotal = 0;
  const referenceCount = Math.min(count, smoke ? 500 : 5_000);
  const reference = await timed(async () => {
    for (const facts of cases.slice(0, referenceCount))
      for (const index of await referenceMatches(rules, {}, facts)) referenceTotal += points[index];
  });
  let compiledSubset = 0;
  for (const facts of cases.slice(0, referenceCount))
    for (const rule of profile.rules) if (rule.conditions.lenient(facts)) compiledSubset += rule.points;
  const compiledRate = (count * 20) / compiled.seconds;
  const referenceRate = referenceCount / reference.seconds;
  record({
    name: 'Rule evaluation (10 rules, per interaction)',
    value: `${fmt(compiledRate)} interactions/s compiled`,
    baseline: `${fmt(referenceRate)} interactions/s json-rules-engine engine.run()`,
    ratio: `${fmt(compiledRate / referenceRate, 0)}×`,
    target: '≥ 100×',
    met: compiledRate / referenceRate >= 100,
  });
  notes.push(
    `Rule evaluation check: on the same ${fmt(referenceCount)} interactions both evaluators give a total of ${fmt(referenceTotal)} points (compiled: ${fmt(compiledSubset)})${referenceTotal === compiledSubset ? ' — identical' : ' — DIFFERENT'}; json-rules-engine gets a new Engine per run, as it must (one Engine shared by concurrent runs skips rules).`,
  );
  if (referenceTotal !== compiledSubset) throw new Error('the evaluators disagree');
}

async function ingestRun(
  service: RunningService,
  key: string,
  shape: WorkloadShape,
  from: number,
  count: number,
  batchSize: number,
  query = '',
) {
  return runClient<{ items: number; accepted: number; seconds: number; rate: number; lastToken: string }>('ingest.js', {
    baseUrl: service.baseUrl,
    key,
    shape,
    from,
    count,
    batchSize,
    concurrency: 4,
    kind: 'interactions',
    query,
  });
}

async function loadContacts(service: RunningService, key: string, shape: WorkloadShape) {
  return runClient<{ rate: number }>('ingest.js', {
    baseUrl: service.baseUrl,
    key,
    shape,
    from: 0,
    count: shape.contacts,
    batchSize: 10_000,
    concurrency: 2,
    kind: 'contacts',
    query: '?wait=true',
  });
}

/** Until everything below the token is scored, on every partition (a list read with consistency=, retried past its bounded wait). */
async function waitScored(service: RunningService, key: string, profileId: string, token: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${service.baseUrl}/v1/contacts?profileId=${profileId}&limit=1&consistency=${token}`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    await response.arrayBuffer();
    if (response.ok) return;
    if (response.status !== 503) throw new Error(`waiting for the scoring answered ${response.status}`);
  }
}

type Paced = { p50: number; p90: number; p99: number; max: number; errors: number; non2xx: number; requests: number };

function paced(service: RunningService, key: string, paths: string[], rate: number, seconds: number) {
  return runClient<Paced>('paced.js', { baseUrl: service.baseUrl, key, paths, rate, seconds });
}

/**
 * Reads at 500 requests/s, evenly paced, against /healthz measured the same way right before: a
 * score (one query), the top 50 by score, and one contact with a long history read on its own.
 */
async function readsBenchmark(
  service: RunningService,
  key: string,
  profileId: string,
  shape: WorkloadShape,
  heavyContact: string,
): Promise<void> {
  const seconds = sizes.readSeconds;
  const rate = 500;
  let watch = watchMachine();
  const health = await paced(service, key, ['/healthz'], rate, seconds);
  const healthLoad = watch();
  const contacts = Array.from({ length: 500 }, (_, index) => contactId((index * 197) % shape.contacts));
  watch = watchMachine();
  const score = await paced(
    service,
    key,
    contacts.map((id) => `/v1/profiles/${profileId}/scores/${id}`),
    rate,
    seconds,
  );
  const scoreLoad = watch();
  record({
    name: `GET score at ${rate} req/s, evenly paced (${fmt(score.requests)} requests over ${fmt(contacts.length)} contacts)`,
    value: `p50 ${score.p50} ms, p99 ${score.p99} ms, errors ${score.errors + score.non2xx}; ${scoreLoad.text}`,
    baseline: `GET /healthz the same way: p50 ${health.p50} ms, p99 ${health.p99} ms; ${healthLoad.text}`,
    ratio: `p99 ${fmt(score.p99 / Math.max(0.01, health.p99), 2)}× /healthz`,
    target: 'p99 ≤ 2 × /healthz p99, 0 errors',
    met: score.p99 <= 2 * health.p99 && score.errors + score.non2xx === 0,
  });
  watch = watchMachine();
  const heavy = await paced(service, key, [`/v1/profiles/${profileId}/scores/${heavyContact}`], 50, seconds);
  const heavyLoad = watch();
  const entries = (
    await api<{ explanation: { count: number; limited?: number }[] }>(
      service.baseUrl,
      key,
      'GET',
      `/v1/profiles/${profileId}/scores/${heavyContact}`,
    )
  ).explanation.reduce((sum, line) => sum + line.count + (line.limited ?? 0), 0);
  record({
    name: `GET score of one contact with ${fmt(sizes.heavy)} interactions (${fmt(entries)} entries in its window), 50 req/s`,
    value: `p50 ${heavy.p50} ms, p99 ${heavy.p99} ms; ${heavyLoad.text}`,
    baseline: `an ordinary contact at 500 req/s: p50 ${score.p50} ms`,
    ratio: `p50 ${fmt(heavy.p50 / Math.max(0.01, score.p50), 1)}× an ordinary contact`,
    target: 'p50 ≤ 5 ms',
    met: heavy.p50 <= 5 && heavy.errors + heavy.non2xx === 0,
  });
  watch = watchMachine();
  const top = await paced(service, key, [`/v1/contacts?profileId=${profileId}&sort=-score&limit=50`], rate, seconds);
  const topLoad = watch();
  record({
    name: `GET /v1/contacts top 50 by score of ${fmt(shape.contacts)} at ${rate} req/s, evenly paced`,
    value: `p50 ${top.p50} ms, p99 ${top.p99} ms, errors ${top.errors + top.non2xx}; ${topLoad.text}`,
    baseline: `GET /healthz p99 ${health.p99} ms`,
    ratio: `p99 ${fmt(top.p99 / Math.max(0.01, health.p99), 1)}× /healthz`,
    target: 'p99 ≤ 50 ms, 0 errors',
    met: top.p99 <= 50 && top.errors + top.non2xx === 0,
  });

  // A saved segment's members against the same filter given to GET /v1/contacts, the same way.
  const filter = { profileId, minScore: 20, tags: ['customer'] };
  const saved = await api<{ id: string; size: number }>(service.baseUrl, key, 'POST', '/v1/segments', { name: 'Bench customers', filter });
  watch = watchMachine();
  const adHoc = await paced(service, key, [`/v1/contacts?profileId=${profileId}&minScore=20&tag=customer&limit=50`], rate, seconds);
  const adHocLoad = watch();
  watch = watchMachine();
  const members = await paced(service, key, [`/v1/segments/${saved.id}/contacts?limit=50`], rate, seconds);
  const membersLoad = watch();
  record({
    name: `GET /v1/segments/{id}/contacts, the first 50 of ${fmt(saved.size)} members (score ≥ 20 and tag customer), at ${rate} req/s`,
    value: `p50 ${members.p50} ms, p99 ${members.p99} ms, errors ${members.errors + members.non2xx}; ${membersLoad.text}`,
    baseline: `GET /v1/contacts with the same filter: p50 ${adHoc.p50} ms, p99 ${adHoc.p99} ms; ${adHocLoad.text}`,
    ratio: `p50 ${fmt(members.p50 / Math.max(0.01, adHoc.p50), 2)}×, p99 ${fmt(members.p99 / Math.max(0.01, adHoc.p99), 2)}× the filter`,
    target: 'as fast as the same filter (p50 ≤ 1.25×), 0 errors',
    met: members.p50 <= 1.25 * adHoc.p50 && members.errors + members.non2xx === 0,
  });
}

async function insightsBenchmark(
  service: RunningService,
  url: string,
  key: string,
  profileId: string,
  shape: WorkloadShape,
): Promise<void> {
  const times: number[] = [];
  for (let run = 0; run < sizes.insightRuns; run++) {
    const { seconds } = await timed(() => api(service.baseUrl, key, 'GET', `/v1/profiles/${profileId}/insights?days=7`));
    times.push(seconds * 1000);
    if (process.env.BENCH_DEBUG) process.stderr.write(`insights run ${run}: ${fmt(seconds * 1000, 1)} ms\n`);
  }
  times.sort((x, y) => x - y);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const scan = await timed(() =>
    client.query('SELECT count(*), avg(amplitude) FROM scores s JOIN profiles p ON p.live_version_id = s.version_id WHERE p.id = $1', [
      profileId,
    ]),
  );
  await client.end();
  const median = times[Math.floor(times.length / 2)];
  record({
    name: `GET insights?days=7 over ${fmt(shape.contacts)} contacts`,
    value: `median ${fmt(median, 1)} ms, max ${fmt(times[times.length - 1], 1)} ms`,
    baseline: `a bare scan of the profile's anchors ${fmt(scan.seconds * 1000, 1)} ms`,
    ratio: `${fmt(median / (scan.seconds * 1000), 1)}×`,
    target: '< 200 ms',
    met: median < 200,
  });
}

/**
 * Crossing detection: N contacts whose anchors put `due` of them across a subscribed threshold
 * within the next minute through decay alone. One scheduler pass is timed against a pass with
 * nothing due, at two sizes, each in a database of its own (the scheduler serves every workspace).
 */
async function crossingBenchmark(adminUrl: string): Promise<void> {
  const results: { contacts: number; idle: number; busy: number; processed: number; deliveries: number; buffers: string }[] = [];
  for (const contacts of sizes.crossingContacts) {
    const name = `es_bench_crossings_${contacts}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const target = new URL(adminUrl);
    target.pathname = `/${name}`;
    await migrate(target.toString());
    const db = createPool(target.toString(), 4);
    try {
      const workspace = await ensureWorkspace(db, 'crossings');
      const document = { ...pointsProfile(), name: `Crossings ${contacts}` };
      const now = Date.now();
      const profile = await insertProfile(db, workspace.id, document.name, document, new Date(now));
      const version = await insertVersion(db, workspace.id, profile.id, document, new Date(now), 'bench');
      await switchLiveVersion(db, workspace.id, profile.id, version.id, new Date(now));
      await insertSubscription(
        db,
        workspace.id,
        {
          profileId: profile.id,
          segmentId: null,
          event: 'score.dropped_below',
          threshold: 40,
          tags: null,
          url: 'http://127.0.0.1:9/unused',
          description: null,
          secret: 'bench',
        },
        new Date(now - 1000),
      );
      const model = new ScoreModel(compileProfile(document as unknown as ProfileDocument));
      const level = model.rawThreshold(40);
      const h = model.halfLifeMs!;
      const progress = new Progress(`generating ${fmt(contacts)} anchors`, contacts);
      await db.query(
        `INSERT INTO contacts (workspace_id, id, tags) SELECT $1, 'x' || lpad(g::text, 8, '0'), '{}' FROM generate_series(1, $2) g`,
        [workspace.id, contacts],
      );
      // 50 points decaying: the score crosses 40 at t* = τ + h·log2(50 / level). The first `due` contacts cross within the next minute.
      await db.query(
        `INSERT INTO scores (workspace_id, version_id, contact_id, state_points, amplitude, anchor_at, sign, sort_key, stale_at, due_at, recent)
         SELECT $1, $2, contact_id, 0, 50, anchor_at, 1, log(2::numeric, 50::numeric)::float8 + extract(epoch FROM anchor_at)::float8 * 1000 / $3::float8, NULL, crossing, ''::bytea
           FROM (SELECT 'x' || lpad(g::text, 8, '0') AS contact_id, crossing, crossing - make_interval(secs => $3::float8 / 1000 * (ln(50 / $4::float8) / ln(2))) AS anchor_at
                   FROM (SELECT g, CASE WHEN g <= $5 THEN $6::timestamptz + make_interval(secs => 1 + (g % 58))
                                        ELSE $6::timestamptz + make_interval(days => 1 + (g % 200)) END AS crossing
                           FROM generate_series(1, $7) g) t) s`,
        [workspace.id, version.id, h, level, sizes.due, new Date(now), contacts],
      );
      progress.finish();
      await db.query('ANALYZE scores; ANALYZE contacts');
      const engine = new ScoringEngine(new CrossingDetector());
      let clock = now - 1000;
      const scheduler = new ScoringWorker({ db, clock: { now: () => new Date(clock) }, logger: silent, engine }, { dueBatch: 500 });
      const idleRuns: number[] = [];
      for (let run = 0; run < 5; run++) idleRuns.push((await timed(() => scheduler.drain())).seconds * 1000);
      const plan = await db.query(
        `EXPLAIN (ANALYZE, BUFFERS) SELECT s.workspace_id, s.version_id, s.contact_id FROM scores s WHERE s.due_at <= $1 ORDER BY s.due_at LIMIT 500`,
        [new Date(now + 60_000)],
      );
      const buffers =
        (plan.rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).find((line) => line.includes('Buffers')) ?? '';
      clock = now + 60_000;
      const stepsBefore = scheduler.stats.timeSteps;
      const busy = await timed(() => scheduler.drain());
      const processed = scheduler.stats.timeSteps - stepsBefore;
      await scheduler.stop();
      const deliveries = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries');
      results.push({
        contacts,
        idle: idleRuns.sort((x, y) => x - y)[2],
        busy: busy.seconds * 1000,
        processed,
        deliveries: deliveries.rows[0].n,
        buffers: buffers.trim(),
      });
    } finally {
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
  const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
  record({
    name: `Crossing detection: a pass over ${fmt(large.contacts)} contacts, ${fmt(large.processed)} due within the minute`,
    value: `${fmt(large.busy, 0)} ms for ${fmt(large.processed)} crossings (${fmt(large.deliveries)} deliveries written)`,
    baseline: `a pass with none due ${fmt(large.idle, 1)} ms; the same ${fmt(small.processed)} due among ${fmt(small.contacts)} contacts ${fmt(small.busy, 0)} ms`,
    ratio: `${fmt(large.busy / small.busy, 2)}× for ${fmt(large.contacts / small.contacts)}× the contacts`,
    target: 'cost scales with crossings, not contacts',
    met: large.busy / small.busy < 2 && large.processed === sizes.due && small.processed === sizes.due,
  });
  notes.push(
    `Crossing detection: the claim query's buffers — ${fmt(large.contacts)} contacts: ${large.buffers || 'n/a'}; ${fmt(small.contacts)} contacts: ${small.buffers || 'n/a'}. A pass reads the due_at index up to now: rows due, not rows stored.`,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  await mkdir(path.dirname(output), { recursive: true });
  process.stderr.write(`Engagement Score benchmark${smoke ? ' (smoke: tiny data)' : ''}\n`);

  let embedded: EmbeddedDatabase | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    process.stderr.write('No DATABASE_URL: using an embedded PostgreSQL under bench/.work\n');
    embedded = await startEmbedded({ dataDir: path.join(root, 'bench/.work/pg'), ephemeral: true });
    adminUrl = embedded.url;
  }
  const name = `es_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  await admin.end();
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  await migrate(url);
  const db = createPool(url, 4);
  const autovacuum = await startAutovacuumStandIn(url);
  const serviceEnv = { DATABASE_URL: url, ADMIN_API_KEY: KEY, PORT: '0', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' };
  let service = await startService(serviceEnv);
  const end = Date.now() - DAY;
  const shape: WorkloadShape = { contacts: sizes.contacts, interactions: sizes.interactions, seed: SEED, end };
  try {
    // 1. Rule evaluation, in this process.
    await evaluationBenchmark(shape);

    // 2. Profiles and contacts: the main workspace, and one that takes the accept-only load later.
    const points = await publish(service.baseUrl, KEY, pointsProfile());
    await publish(service.baseUrl, KEY, relationshipProfile());
    await loadContacts(service, KEY, shape);
    const acceptKey = await workspaceKey(db, 'bench-accept');
    const acceptProfile = await publish(service.baseUrl, acceptKey, pointsProfile());
    await publish(service.baseUrl, acceptKey, relationshipProfile());
    await loadContacts(service, acceptKey, shape);

    // 3. End to end: accepted and scored, from an empty log to 1,000,000 stored, cost per interaction at each size.
    const segments: { size: number; accept: number; seconds: number; load: string }[] = [];
    let from = 0;
    for (const size of sizes.segments) {
      const watch = watchMachine();
      const started = process.hrtime.bigint();
      const accepted = await ingestRun(service, KEY, shape, from, size - from, 10_000);
      await waitScored(service, KEY, points.id, accepted.lastToken);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      segments.push({ size: size - from, accept: accepted.rate, seconds, load: watch().text });
      from = size;
    }
    const e2eSeconds = segments.reduce((sum, segment) => sum + segment.seconds, 0);
    const e2eRate = shape.interactions / e2eSeconds;
    const perInteraction = (segment: (typeof segments)[0]) => (segment.seconds / segment.size) * 1e6;
    const copyRate = await copyBaseline(url, shape, shape.interactions);
    record({
      name: `End to end (accepted and scored) over ${fmt(shape.interactions)} interactions of ${fmt(shape.contacts)} contacts, 2 profiles, batches of 10,000`,
      value: `${fmt(e2eRate)} interactions/s; µs/interaction ${segments
        .map((segment, index) => `${fmt(sizes.segments[index])} stored: ${fmt(perInteraction(segment), 1)}`)
        .join(', ')}; ${segments[segments.length - 1].load}`,
      baseline: `COPY of the same rows into a bare table ${fmt(copyRate)} rows/s`,
      ratio: `${fmt((e2eRate / copyRate) * 100, 1)} % of COPY; last size ${fmt(perInteraction(segments[segments.length - 1]) / perInteraction(segments[0]), 2)}× the first per interaction`,
      target: '≥ 30,000/s, flat from 10⁴ to 10⁶ stored',
      met: e2eRate >= 30_000 && perInteraction(segments[segments.length - 1]) <= 1.5 * perInteraction(segments[0]),
    });
    notes.push(
      `End to end, accepting while the same service scores: ${segments.map((segment) => `${fmt(segment.accept)}/s`).join(', ')} accepted per segment (the generator posts 4 batches at a time; scoring finishes after the last answer).`,
    );

    // 4. Accept alone: an instance that runs no workers (the scoring is done elsewhere, or later).
    await service.stop();
    service = await startService({ ...serviceEnv, RUN_WORKERS: 'false' });
    const acceptShape: WorkloadShape = { ...shape, seed: SEED + 1 };
    let watch = watchMachine();
    const accept = await ingestRun(service, acceptKey, acceptShape, 0, shape.interactions, 10_000);
    let load = watch();
    record({
      name: `Accept through POST /v1/interactions, batches of 10,000 (${fmt(shape.interactions)} interactions, no worker running)`,
      value: `${fmt(accept.rate)} interactions/s; ${load.text}`,
      baseline: `COPY into a bare table ${fmt(copyRate)} rows/s`,
      ratio: `${fmt((accept.rate / copyRate) * 100, 1)} % of COPY`,
      target: '≥ 100,000/s and ≥ 20 % of COPY',
      met: accept.rate >= 100_000 && accept.rate >= 0.2 * copyRate,
    });
    watch = watchMachine();
    const small = await ingestRun(service, acceptKey, { ...acceptShape, seed: SEED + 2 }, 0, sizes.smallBatchInteractions, 1_000);
    load = watch();
    record({
      name: `Accept, batches of 1,000 (${fmt(sizes.smallBatchInteractions)} interactions)`,
      value: `${fmt(small.rate)} interactions/s; ${load.text}`,
      baseline: `COPY ${fmt(copyRate)} rows/s`,
      ratio: `${fmt((small.rate / copyRate) * 100, 1)} % of COPY`,
      target: '≥ 50,000/s',
      met: small.rate >= 50_000,
    });
    // The backlog those left, scored by a service with its workers.
    await service.stop();
    watch = watchMachine();
    const drainStarted = process.hrtime.bigint();
    service = await startService(serviceEnv);
    await waitScored(service, acceptKey, acceptProfile.id, small.lastToken);
    const drainSeconds = Number(process.hrtime.bigint() - drainStarted) / 1e9;
    load = watch();
    const backlog = shape.interactions + sizes.smallBatchInteractions;
    record({
      name: `Scoring a backlog of ${fmt(backlog)} interactions (one instance, from its start)`,
      value: `${fmt(backlog / drainSeconds)} interactions/s; ${load.text}`,
      baseline: `end to end ${fmt(e2eRate)}/s`,
      ratio: `${fmt(backlog / drainSeconds / e2eRate, 2)}× end to end`,
      target: '—',
      met: null,
    });

    // 5. Scoring lag under a steady offered load.
    watch = watchMachine();
    const lag = await runClient<{ batches: number; p50: number; p99: number; max: number; acceptP99: number; failures: number }>('lag.js', {
      baseUrl: service.baseUrl,
      key: acceptKey,
      shape: { ...acceptShape, seed: SEED + 3 },
      from: 0,
      rate: sizes.lagRate,
      seconds: sizes.lagSeconds,
      batchSize: 1_000,
      probe: `/v1/contacts?profileId=${acceptProfile.id}&limit=1`,
    });
    load = watch();
    record({
      name: `Scoring lag at ${fmt(sizes.lagRate)} interactions/s offered for ${sizes.lagSeconds} s (batches of 1,000, evenly paced)`,
      value: `p50 ${fmt(lag.p50)} ms, p99 ${fmt(lag.p99)} ms, max ${fmt(lag.max)} ms; ${load.text}`,
      baseline: `accept p99 ${fmt(lag.acceptP99)} ms`,
      ratio: `p99 lag ${fmt(lag.p99 / Math.max(1, lag.acceptP99), 1)}× the accept p99`,
      target: 'p99 ≤ 1 s',
      met: lag.p99 <= 1000 && lag.failures === 0,
    });

    // What the offered load left unscored is scored before the next figures, which it would otherwise share the machine with.
    watch = watchMachine();
    const drainAfterLag = await timed(async () => {
      const marker = await api<{ token: string }>(service.baseUrl, acceptKey, 'POST', '/v1/interactions', {
        interactions: [{ id: 'bench-lag-marker', contactId: contactId(0), type: 'note' }],
      });
      await waitScored(service, acceptKey, acceptProfile.id, marker.token);
    });
    notes.push(
      `After the lag run, the backlog it left took ${fmt(drainAfterLag.seconds, 1)} s to score (${watch().text}); the figures below start once it is scored.`,
    );

    // 6. Publish over everything, with the service's memory watched.
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, service.memory().rssMiB)), 100);
    const before = service.memory().rssMiB;
    watch = watchMachine();
    const republished = await publish(service.baseUrl, KEY, pointsProfile(2), points.id);
    load = watch();
    clearInterval(sample);
    const workspaceId = (await db.query<{ id: string }>("SELECT id FROM workspaces WHERE name = 'default'")).rows[0].id;
    const floor = await publishFloor(url, workspaceId, shape.interactions);
    record({
      name: `Publish of the points profile over ${fmt(shape.interactions)} interactions of ${fmt(shape.contacts)} contacts`,
      value: `${fmt(republished.seconds, 1)} s, service RSS ${fmt(before)} → peak ${fmt(peak)} MiB; ${load.text}`,
      baseline: `COPY out of the interactions + COPY in of as many rows: ${fmt(floor, 1)} s`,
      ratio: `${fmt(republished.seconds / floor, 1)}× the I/O floor`,
      target: '≤ 20 s',
      met: republished.seconds <= 20,
    });

    // 7. Reads under load, and the weekly review, on settled tables (autovacuum would have vacuumed
    // and analyzed the freshly loaded tables within a minute or so; the benchmark does not wait for it).
    const heavyContact = 'heavy-contact';
    const heavy = Array.from({ length: sizes.heavy }, (_, index) => ({
      ...interactionAt({ ...shape, seed: SEED + 4 }, index),
      id: `heavy-${index}`,
      contactId: heavyContact,
      occurredAt: new Date(end - Math.floor(((sizes.heavy - index) / sizes.heavy) * 360 * DAY)).toISOString(),
    }));
    await api(service.baseUrl, KEY, 'POST', '/v1/interactions?wait=true', { interactions: heavy });
    if (autovacuum.active) await autovacuum.catchUp();
    else await db.query('ANALYZE');
    await readsBenchmark(service, KEY, points.id, shape, heavyContact);
    await insightsBenchmark(service, url, KEY, points.id, shape);

    // 8. Crossing detection.
    await crossingBenchmark(adminUrl);

    // 9. How publish grows with size.
    const curve: { size: number; publish: number }[] = [];
    for (const size of sizes.scaling) {
      const key = await workspaceKey(db, `bench-scale-${size}`);
      const scaledShape: WorkloadShape = { contacts: Math.max(100, size / 10), interactions: size, seed: SEED + size, end };
      const profile = await publish(service.baseUrl, key, pointsProfile());
      await publish(service.baseUrl, key, relationshipProfile());
      const scaled = await ingestRun(service, key, scaledShape, 0, size, 10_000);
      await waitScored(service, key, profile.id, scaled.lastToken);
      const republish = await publish(service.baseUrl, key, pointsProfile(2), profile.id);
      curve.push({ size, publish: republish.seconds });
    }
    curve.push({ size: shape.interactions, publish: republished.seconds });
    const smallest = curve[0];
    const largest = curve[curve.length - 1];
    record({
      name: 'Scaling of publish: time per interaction from the smallest to the largest size',
      value: curve.map((point) => `${fmt(point.size)}: ${fmt(point.publish, 2)} s`).join('; '),
      baseline: `${fmt(smallest.size)} interactions`,
      ratio: `µs/interaction ${fmt((smallest.publish / smallest.size) * 1e6, 1)} → ${fmt((largest.publish / largest.size) * 1e6, 1)}`,
      target: 'linear (cost per interaction does not grow)',
      met: largest.publish / largest.size <= 2 * (smallest.publish / smallest.size),
    });
    if (autovacuum.active) {
      notes.push(
        `This PostgreSQL runs with autovacuum off (a CI setting here). The benchmark stood in for it: every 20 s it vacuumed or analyzed the tables that autovacuum's default thresholds name (${autovacuum.passes} table passes, ${fmt(autovacuum.seconds, 1)} s in all, sharing the machine with the load), and once more before the reads.`,
      );
    }
  } finally {
    await autovacuum.stop();
    await service.stop();
    await db.end();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    if (keep) process.stderr.write(`Kept the database: ${url}\n`);
    else await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await cleanup.end();
    await embedded?.stop();
  }
  // The analysis of missed targets is written by hand (bench/analysis.md) and kept with every full run's figures.
  const analysis = smoke ? '' : await readFile(path.join(root, 'bench/analysis.md'), 'utf8');
  await writeFile(output, report(serverVersion, (Date.now() - started) / 1000) + (analysis ? `\n${analysis}` : ''));
  process.stderr.write(`Wrote ${path.relative(process.cwd(), output)}\n`);
  if (!smoke && figures.some((figure) => figure.met === false))
    process.stderr.write('Some targets were missed: see the analysis in the results.\n');
}

function report(serverVersion: string, seconds: number): string {
  // The commit measured; the results file itself does not count as a change to it.
  let commit = 'unknown';
  try {
    commit =
      execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim() +
      (execSync(`git status --porcelain -- . ':!${path.relative(root, output)}'`, { cwd: root })
        .toString()
        .trim()
        ? ' (with uncommitted changes)'
        : '');
  } catch {
    // not a git checkout
  }
  const lines = [
    `# Benchmark results${smoke ? ' (smoke run: tiny data, not meaningful figures)' : ''}`,
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Commit: ${commit}`,
    `- Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GiB memory, ${os.platform()} ${os.release()}`,
    `- Node ${process.version}, PostgreSQL ${serverVersion}${process.env.DATABASE_URL ? ' (DATABASE_URL)' : ' (embedded)'}`,
    `- Workload: ${fmt(sizes.contacts)} contacts, ${fmt(sizes.interactions)} interactions over a year (seed ${SEED}); profiles in bench/profiles.ts`,
    `- Run time: ${fmt(seconds)} s. The service, the load generators and PostgreSQL share the machine's cores.`,
    '',
    '| Measure | Result | Baseline (same run) | Ratio | Target | Met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...figures.map(
      (figure) =>
        `| ${figure.name} | ${figure.value} | ${figure.baseline} | ${figure.ratio} | ${figure.target} | ${figure.met === null ? '—' : figure.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '## Notes',
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
