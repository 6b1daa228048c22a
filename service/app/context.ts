import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import type { Db } from '../store/db';

/** What every use case works with; the HTTP layer, the jobs and the tests build it once. */
export type AppContext = {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Config;
  engine: ScoringEngine;
};

/** Who asks: the API key's workspace, and the key itself (recorded as who did what). */
export type Actor = { workspaceId: string; keyId: string; keyName: string | null };

export const actorName = (actor: Actor) => actor.keyName ?? actor.keyId;
