/**
 * How a background loop is doing, for /readyz: `busy` (a pass is running, however long: never a
 * reason to fail readiness), `idle` (passes run and end), `failing` (the last pass threw; the loop
 * goes on), or `stalled` (no pass has ended for far longer than the loop's interval while none is
 * running: the loop is dead and the instance needs a restart).
 */
export type LoopHealth = {
  name: string;
  state: 'idle' | 'busy' | 'failing' | 'stalled';
  /** Whether its LISTEN connection is up (null: the loop only polls). */
  listening: boolean | null;
  lastPassAt: string | null;
  busySince: string | null;
  lastError: string | null;
};

/** Something in the background that can say how its loops are doing. */
export type BackgroundPart = { health(): LoopHealth[] };

/** No pass for this long (and at least 10 intervals) while none runs means the loop has stopped. */
export const STALLED_AFTER_MS = 60_000;
