import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import type { Db } from '../store/db';

/** What the HTTP layer needs from the rest of the service; tests build it with their own clock and database. */
export type AppDeps = {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Config;
  engine: ScoringEngine;
};
