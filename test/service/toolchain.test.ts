import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Machines here ship Node 20; the pinned node devDependency makes every npm script run on Node 24. */
describe('toolchain', () => {
  it('runs npm scripts on the pinned Node 24 even when an older node comes first on PATH', () => {
    const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => existsSync(candidate));
    const pathWithOldNode = [...(systemNode ? [path.dirname(systemNode)] : []), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
    const npm = process.env.npm_execpath;
    const version = execFileSync(
      npm && npm.endsWith('.js') ? process.execPath : 'npm',
      [...(npm && npm.endsWith('.js') ? [npm] : []), 'exec', '--no', '--', 'node', '-v'],
      { cwd: root, env: { HOME: process.env.HOME, PATH: pathWithOldNode }, encoding: 'utf8' },
    ).trim();
    expect(version).toMatch(/^v24\./);
  });
});
