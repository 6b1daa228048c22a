import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The service as `npm start` runs it (compiled), in its own process, for the benchmark to load. */
export type RunningService = {
  baseUrl: string;
  child: ChildProcess;
  /** Resident memory now and at its peak, in MiB (from /proc). */
  memory(): { rssMiB: number; peakMiB: number };
  stop(): Promise<void>;
};

const root = path.resolve(__dirname, '../../..');

export async function startService(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, [path.join(root, 'dist/service/main.js')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the service exited (${code}) while starting:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    baseUrl,
    child,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
      return { rssMiB: Math.round(field('VmRSS')), peakMiB: Math.round(field('VmHWM')) };
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A JSON API call; throws on a non-2xx answer. */
export async function api<T = unknown>(baseUrl: string, key: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Runs a compiled bench client in its own process and returns the JSON it prints last. */
export function runClient<T>(script: string, input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=4096', path.join(__dirname, '../clients', script), JSON.stringify(input)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${output}`));
      const lines = output.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]) as T);
    });
  });
}
