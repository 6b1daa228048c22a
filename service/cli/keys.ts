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
  type ApiKeyRecord,
  type Role,
} from '../store/keys';
import { openCliDatabase } from './database';

const usage = `Usage:
  npm run keys -- create --workspace NAME --role admin|writer|reader|automation [--name LABEL] [--create-workspace]
      prints the new key alone on the last line; --create-workspace makes the workspace when it does not exist;
      automation keys (for n8n) read, record interactions and manage subscriptions, nothing else
  npm run keys -- list --workspace NAME [--json]
      active keys with their role, origin, creation and last use (recorded at most once a minute)
  npm run keys -- revoke --workspace NAME --id KEY_ID`;

const roles: Role[] = ['admin', 'writer', 'reader', 'automation'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function noSuchWorkspace(name: string, existing: string[], creating: boolean): string {
  return [
    `No workspace named "${name}".${didYouMean(name, existing)}`,
    existing.length > 0 ? `Workspaces: ${existing.join(', ')}.` : 'There is no workspace yet.',
    ...(creating ? [`To create "${name}", add --create-workspace.`] : []),
  ].join('\n');
}

/** The list as a table with a header; "never" for a key not used since last use was recorded. */
function keyTable(keys: ApiKeyRecord[]): string {
  const rows = [
    ['ID', 'ROLE', 'ORIGIN', 'CREATED', 'LAST USED', 'NAME'],
    ...keys.map((key) => [
      key.id,
      key.role,
      key.origin,
      key.createdAt.toISOString(),
      key.lastUsedAt ? key.lastUsedAt.toISOString() : 'never',
      key.name ?? '',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const table = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  return keys.length === 0 ? `${table[0]}\n(no active keys)` : table.join('\n');
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
      json: { type: 'boolean' },
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
      const keys = await listApiKeys(db, workspace.id);
      if (values.json) {
        console.log(JSON.stringify(keys.map(({ workspaceId: _workspaceId, ...key }) => key)));
        return 0;
      }
      console.log(keyTable(keys));
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
