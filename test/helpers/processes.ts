import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const register = path.join(__dirname, 'register-ts.cjs');

export type Spawned = {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
};

/** Runs one of the service's entry points from its TypeScript sources in a child process. */
export function runFromSources(entry: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, ['-r', register, path.join(root, entry), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Timed out waiting for ${pattern}; output so far:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then(() =>
          setTimeout(() => {
            if (listeners.has(check)) {
              cleanup();
              reject(new Error(`The process exited before printing ${pattern}; output:\n${output}`));
            }
          }, 50),
        );
        listeners.add(check);
        check();
      });
    },
  };
}

/** The environment of the parent without the variables a test wants to control itself. */
export function cleanEnv(overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'PORT', 'HOST', 'DATA_DIR', 'ADMIN_API_KEY', 'LOG_LEVEL']) delete env[name];
  return { ...env, LOG_LEVEL: 'warn', ...overrides };
}
