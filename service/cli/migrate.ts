import { loadConfig } from '../config';
import { openCliDatabase } from './database';

/** `npm run migrate`: applies pending migrations (the service also does this when it starts). */
async function main(): Promise<void> {
  const database = await openCliDatabase(loadConfig());
  await database.close();
  console.log(database.applied.length > 0 ? `Applied: ${database.applied.join(', ')}` : 'Nothing to apply: the database is up to date.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
