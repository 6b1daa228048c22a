import type { Clock } from '../clock';
import type { Config } from '../config';
import type { LoopHealth } from '../jobs/loop-health';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import type { Db } from '../store/db';
import type { ReadCaches } from './caches';
import type { ScoringProgress } from './consistency';

/** What every use case works with; the HTTP layer, the jobs and the tests build it once. */
export type AppContext = {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Config;
  engine: ScoringEngine;
  /** Waits for the scoring of what a token covers (reading one's own writes). */
  progress: ScoringProgress;
  /** API keys and live versions in memory (without it, every request reads them). */
  caches?: ReadCaches;
  /** How the background loops of this instance are doing (absent where none run: tests, RUN_WORKERS=false). */
  background?: () => LoopHealth[];
};

/** Who asks: the API key's workspace, and the key itself (recorded as who did what). */
export type Actor = { workspaceId: string; keyId: string; keyName: string | null };

export const actorName = (actor: Actor) => actor.keyName ?? actor.keyId;
