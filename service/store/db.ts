import { createHash } from 'node:crypto';
import pg from 'pg';

export type Db = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

const INT8 = 20;
const NUMERIC = 1700;

/** Counts and sequence numbers fit in a double here; returning them as numbers keeps JSON honest. */
const typeOverrides = new pg.TypeOverrides();
typeOverrides.setTypeParser(INT8, (value: string) => Number(value));
typeOverrides.setTypeParser(NUMERIC, (value: string) => Number(value));

export function createPool(connectionString: string, max = 10): Db {
  const pool = new pg.Pool({
    connectionString,
    max,
    types: typeOverrides,
    application_name: 'engagement-score',
    // Every query here is either a short OLTP statement or an analytical one of well under a second,
    // for which LLVM compilation costs more than it saves: measured 290 ms of JIT on a 420 ms insights
    // query over 100,000 contacts.
    options: '-c jit=off',
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A query PostgreSQL prepares once per connection (named by a hash of its text), for the hot read
 * paths: it saves parsing and planning on every request.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  return { name: `q${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values };
}

const RETRYABLE = new Set(['40P01', '40001']);

/** Runs `work` in one transaction; retries a few times when PostgreSQL reports a deadlock or serialization failure. */
export async function transaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await db.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A client that cannot even roll back has lost its connection: drop it instead of pooling it.
      broken = !(await client.query('ROLLBACK').then(() => true, () => false));
      const code = (error as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < 5) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
