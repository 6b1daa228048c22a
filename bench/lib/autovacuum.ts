import pg from 'pg';

/**
 * This machine's PostgreSQL runs with `autovacuum = off` (a CI setting); any production server has
 * it on. Without it, dead row versions and GIN pending lists pile up during a long load and every
 * later figure measures the bloat rather than the service. When autovacuum is off, this stands in
 * for it: every `intervalMs` it applies autovacuum's own default thresholds to each table and runs
 * VACUUM or ANALYZE where autovacuum would.
 */
export type AutovacuumStandIn = {
  active: boolean;
  /** Tables vacuumed or analyzed so far, and the time it took. */
  passes: number;
  seconds: number;
  /** A pass right now (as autovacuum would have done by the time a loaded system is read). */
  catchUp(): Promise<void>;
  stop(): Promise<void>;
};

const VACUUM_SCALE = 0.2;
const VACUUM_THRESHOLD = 50;
const INSERT_SCALE = 0.2;
const INSERT_THRESHOLD = 1000;
const ANALYZE_SCALE = 0.1;
const ANALYZE_THRESHOLD = 50;

export async function startAutovacuumStandIn(url: string, intervalMs = 20_000): Promise<AutovacuumStandIn> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const setting = (await client.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0].autovacuum;
  const state: AutovacuumStandIn = {
    active: setting !== 'on',
    passes: 0,
    seconds: 0,
    catchUp: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
  if (!state.active) {
    await client.end();
    return state;
  }
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  // A failing pass must not go unnoticed: the next catchUp() throws it, stop() reports it.
  let failure: unknown = null;
  const pass = async () => {
    const started = process.hrtime.bigint();
    const { rows } = await client.query<{ name: string; vacuum: boolean; analyze: boolean }>(
      `SELECT quote_ident(relname) AS name,
              n_dead_tup > $1::float8 + $2::float8 * n_live_tup OR n_ins_since_vacuum > $3::float8 + $4::float8 * n_live_tup AS vacuum,
              n_mod_since_analyze > $5::float8 + $6::float8 * n_live_tup AS analyze
         FROM pg_stat_user_tables WHERE schemaname = 'public'`,
      [VACUUM_THRESHOLD, VACUUM_SCALE, INSERT_THRESHOLD, INSERT_SCALE, ANALYZE_THRESHOLD, ANALYZE_SCALE],
    );
    for (const table of rows) {
      if (stopped) return;
      if (table.vacuum) await client.query(`VACUUM (ANALYZE ${table.analyze}) ${table.name}`);
      else if (table.analyze) await client.query(`ANALYZE ${table.name}`);
      if (table.vacuum || table.analyze) state.passes++;
    }
    state.seconds += Number(process.hrtime.bigint() - started) / 1e9;
  };
  const schedule = () => (running = running.then(pass).catch((error: unknown) => void (failure ??= error)));
  const timer = setInterval(() => void schedule(), intervalMs);
  state.catchUp = async () => {
    await schedule();
    if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  };
  state.stop = async () => {
    stopped = true;
    clearInterval(timer);
    await running;
    await client.end().catch(() => undefined);
    // Called from `finally` blocks: report, never throw over the error that may be on its way.
    if (failure)
      process.stderr.write(`autovacuum stand-in failed: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}\n`);
  };
  return state;
}
