import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { didYouMean } from '../names';
import { createPool } from '../store/db';
import {
  ensureWorkspace,
  findWorkspaceByName,
  insertApiKey,
  listApiKeys,
  listWorkspaceNames,
  revokeApiKey,
  type Role,
} from '../store/keys';
import { openCliDatabase } from './database';

const usage = `Usage:
  npm run keys -- create --workspace NAME --role admin|writer|reader [--name LABEL] [--create-workspace]
      prints the new key alone on the last line; --create-workspace makes the workspace when it does not exist
  npm run keys -- list --workspace NAME
  npm run keys -- revoke --workspace NAME --id KEY_ID`;

const roles: Role[] = ['admin', 'writer', 'reader'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function noSuchWorkspace(name: string, existing: string[], creating: boolean): string {
  return [
    `No workspace named "${name}".${didYouMean(name, existing)}`,
    existing.length > 0 ? `Workspaces: ${existing.join(', ')}.` : 'There is no workspace yet.',
    ...(creating ? [`To create "${name}", add --create-workspace.`] : []),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workspace: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      'create-workspace': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || !['create', 'list', 'revoke'].includes(command)) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  if (!values.workspace) {
    console.error(`--workspace is required.\n${usage}`);
    return 2;
  }
  if (command === 'create' && !roles.includes(values.role as Role)) {
    console.error(`--role must be one of ${roles.join(', ')}.\n${usage}`);
    return 2;
  }
  if (command === 'revoke' && !values.id) {
    console.error(`--id is required.\n${usage}`);
    return 2;
  }
  if (command === 'revoke' && !UUID.test(values.id!)) {
    console.error(`--id ${values.id} is not a key id (a UUID, as the list command shows).`);
    return 2;
  }

  const config = loadConfig();
  const database = await openCliDatabase(config);
  const db = createPool(database.url, 2);
  try {
    if (command === 'create') {
      if (!values['create-workspace'] && !(await findWorkspaceByName(db, values.workspace))) {
        console.error(noSuchWorkspace(values.workspace, await listWorkspaceNames(db), true));
        return 1;
      }
      const workspace = await ensureWorkspace(db, values.workspace);
      const key = await insertApiKey(db, {
        workspaceId: workspace.id,
        role: values.role as Role,
        name: values.name ?? null,
        origin: 'cli',
      });
      console.log(
        `${workspace.created ? 'Created' : 'Using'} workspace "${workspace.name}" (${workspace.id}); new ${key.role} key ${key.id}:`,
      );
      console.log(key.key);
      return 0;
    }
    const workspace = await findWorkspaceByName(db, values.workspace);
    if (!workspace) {
      console.error(noSuchWorkspace(values.workspace, await listWorkspaceNames(db), false));
      return 1;
    }
    if (command === 'list') {
      for (const key of await listApiKeys(db, workspace.id)) {
        console.log([key.id, key.role.padEnd(6), key.origin.padEnd(11), key.createdAt.toISOString(), key.name ?? ''].join('  '));
      }
      return 0;
    }
    const revoked = await revokeApiKey(db, workspace.id, values.id!, new Date());
    console.log(revoked ? `Revoked ${values.id}.` : `No active key ${values.id} in "${workspace.name}".`);
    return revoked ? 0 : 1;
  } finally {
    await db.end();
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
