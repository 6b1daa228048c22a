import type { AppContext } from '../app/context';

/** What the HTTP layer needs from the rest of the service; tests build it with their own clock and database. */
export type AppDeps = AppContext;
