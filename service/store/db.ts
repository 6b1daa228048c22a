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

/** How long a request waits for a connection before the database counts as unavailable. */
const CONNECT_TIMEOUT_MS = 5000;

export function createPool(connectionString: string, max = 10, onConnectionError?: (error: Error) => void): Db {
  const pool = new pg.Pool({
    connectionString,
    max,
    types: typeOverrides,
    application_name: 'engagement-score',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Every query here is either a short OLTP statement or an analytical one of well under a second,
    // for which LLVM compilation costs more than it saves: measured 290 ms of JIT on a 420 ms insights
    // query over 100,000 contacts.
    options: '-c jit=off',
  });
  const report = onConnectionError ?? (() => undefined);
  // A connection the server closes (restart, failover, pg_terminate_backend) emits 'error' on its
  // client. pg-pool listens only while the client is idle and stops when it is checked out, and an
  // 'error' event nobody listens to ends the process: so every client gets a listener of its own
  // for its whole life. The query in flight is rejected on its own, and the caller answers 503.
  pool.on('connect', (client) => client.on('error', report));
  pool.on('error', report);
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
      broken = !(await client.query('ROLLBACK').then(
        () => true,
        () => false,
      ));
      const code = (error as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < 5) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** Network errors that mean "no database right now" rather than a bug. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** What node-postgres says when a connection went away or never came. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Client was closed',
  'Cannot use a pool after calling end',
];

/**
 * Whether an error means the database is unreachable or refusing work for now (an outage, a restart,
 * a failover, a terminated connection, too many connections): such errors are answered with 503 and
 * Retry-After, and background work retries on its own once the database is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // SQLSTATE: 08 connection exception, 53 insufficient resources (too many connections, disk full),
    // 57P01–57P03 the server is shutting down or starting up.
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  // Connecting to several addresses of one host fails with all of their errors at once.
  if (Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnavailable)) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.some((part) => message.includes(part));
}
