import type { Config } from './config';
import { transaction, type Db } from './store/db';
import { ensureWorkspace, insertApiKey, installEnvironmentKey, type Workspace } from './store/keys';

export type Bootstrap = { workspace: Workspace; firstAdminKey?: string };

/**
 * On the very first start, creates the default workspace with an admin key (returned once, to be
 * printed); installs ADMIN_API_KEY when configured. Workspace and key are created together, so a
 * crash in between cannot leave a workspace nobody can reach.
 */
export async function bootstrap(db: Db, config: Config, now: Date): Promise<Bootstrap> {
  return transaction(db, async (client) => {
    const workspace = await ensureWorkspace(client, config.defaultWorkspaceName);
    let firstAdminKey: string | undefined;
    if (workspace.created) {
      firstAdminKey = (
        await insertApiKey(client, { workspaceId: workspace.id, role: 'admin', name: 'first admin key', origin: 'bootstrap' })
      ).key;
    }
    if (config.adminApiKey) await installEnvironmentKey(client, workspace.id, config.adminApiKey, now);
    return { workspace: { id: workspace.id, name: workspace.name }, firstAdminKey };
  });
}
