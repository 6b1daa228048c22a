import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Db } from '../store/db';
import { recordKeysUsed } from '../store/keys';

/** How stale a key's "last used" may be: it is written at most this often per key and instance. */
export const KEY_USE_RESOLUTION_MS = 60_000;

/**
 * Remembers when each API key was last used without a write per request: the first use of a key in a
 * minute is written (in the background; a failed write is tried again on the next use).
 */
export class KeyUsage {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  note(keyId: string): void {
    const now = this.clock.now().getTime();
    const last = this.written.get(keyId);
    if (last !== undefined && now - last < KEY_USE_RESOLUTION_MS) return;
    this.written.set(keyId, now);
    recordKeysUsed(this.db, [keyId], new Date(now)).catch((error: unknown) => {
      this.written.delete(keyId);
      this.logger.debug({ err: error }, 'could not record an API key use; retried on its next use');
    });
  }
}
