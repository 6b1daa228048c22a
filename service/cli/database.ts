import type { Config } from '../config';
import { findRunningEmbedded, startEmbedded } from '../store/embedded';
import { migrate } from '../store/migrate';

/**
 * The database a command-line tool should use: DATABASE_URL; else the embedded server a running
 * `npm start` owns; else the embedded server started just for this command (and stopped after it).
 * Migrations are applied either way, so the tools work on a fresh data folder.
 */
export async function openCliDatabase(config: Config): Promise<{ url: string; applied: string[]; close(): Promise<void> }> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, applied: await migrate(config.databaseUrl), close: () => Promise.resolve() };
  }
  const running = await findRunningEmbedded(config.dataDir);
  if (running) return { url: running, applied: await migrate(running), close: () => Promise.resolve() };
  const embedded = await startEmbedded({ dataDir: config.dataDir });
  try {
    return { url: embedded.url, applied: await migrate(embedded.url), close: () => embedded.stop() };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
