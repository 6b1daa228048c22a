import type pg from 'pg';
import type { Logger } from '../logger';
import type { Db } from '../store/db';
import { hashApiKey, lookupApiKey, type KeyLookup } from '../store/keys';
import { Channel, listen, localInvalidations, type CacheScope } from '../store/notifications';
import { profileWithLiveVersion } from '../store/profiles';

type ProfileWithLive = NonNullable<Awaited<ReturnType<typeof profileWithLiveVersion>>>;

/** At most this many entries per cache (cleared whole when exceeded: a cache, not a store). */
const MAX_ENTRIES = 10_000;

/**
 * What nearly every read looks up first — the API key, and the profile with its live version — kept
 * in memory, so a score read is one query. Kept only while this process hears of changes: writers
 * invalidate through NOTIFY (store/notifications.ts, every instance) and at once in this process; if
 * the notification connection is lost, the caches are dropped and bypassed until it is back.
 * Unknown keys are never cached (a flood of random keys cannot fill memory).
 */
export class ReadCaches {
  private readonly keys = new Map<string, KeyLookup>();
  private readonly profiles = new Map<string, ProfileWithLive>();
  private listener: pg.PoolClient | undefined;
  private drop: (() => void) | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  /** After a failed attempt to listen, not before this (an outage must not cost a connection attempt per request). */
  private retryAt = 0;
  readonly stats = { hits: 0, misses: 0 };
  private readonly onInvalidate = (scope: CacheScope) => this.invalidate(scope);

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    localInvalidations.on('invalidate', this.onInvalidate);
  }

  async apiKey(key: string): Promise<KeyLookup | undefined> {
    if (!(await this.listening())) return lookupApiKey(this.db, key);
    // Keyed by the hash: the keys themselves are not kept.
    const name = hashApiKey(key).toString('base64');
    const cached = this.keys.get(name);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const found = await lookupApiKey(this.db, key);
    if (found && this.listener) remember(this.keys, name, found);
    return found;
  }

  async profileWithLiveVersion(workspaceId: string, profileId: string): Promise<ProfileWithLive | undefined> {
    if (!(await this.listening())) return profileWithLiveVersion(this.db, workspaceId, profileId);
    const name = `${workspaceId}/${profileId}`;
    const cached = this.profiles.get(name);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const found = await profileWithLiveVersion(this.db, workspaceId, profileId);
    if (found && this.listener) remember(this.profiles, name, found);
    return found;
  }

  private invalidate(scope: string): void {
    if (scope === 'keys') {
      this.keys.clear();
    } else if (scope.startsWith('profiles:')) {
      const prefix = `${scope.slice('profiles:'.length)}/`;
      for (const name of this.profiles.keys()) if (name.startsWith(prefix)) this.profiles.delete(name);
    } else {
      this.clear();
    }
  }

  private clear(): void {
    this.keys.clear();
    this.profiles.clear();
  }

  /** Whether the invalidations' LISTEN connection is up right now (it connects on first use). */
  get connected(): boolean {
    return this.listener !== undefined;
  }

  /** Whether invalidations arrive (connecting on first use); while they do not, nothing is cached. */
  private async listening(): Promise<boolean> {
    if (this.listener) return true;
    if (this.closed || Date.now() < this.retryAt) return false;
    this.connecting ??= (async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.db.connect();
        const connected = client;
        let dropped = false;
        // Once only (an error and an end may both come), and destroyed: a listening connection must not go back to the pool.
        const drop = () => {
          if (dropped) return;
          dropped = true;
          if (this.listener === connected) {
            this.listener = undefined;
            this.clear();
          }
          this.drop = undefined;
          connected.removeAllListeners('notification');
          connected.release(true);
        };
        client.on('error', drop);
        client.on('end', drop);
        client.on('notification', (message) => this.invalidate(message.payload ?? ''));
        this.drop = drop;
        await listen(client, Channel.caches);
        // Whatever changed before this moment is not known: start empty.
        this.clear();
        this.listener = client;
      } catch (error) {
        if (this.drop) this.drop();
        else client?.release(true);
        this.retryAt = Date.now() + 1000;
        this.logger.debug({ err: error }, 'cache invalidations unavailable; reading through');
      } finally {
        this.connecting = undefined;
      }
    })();
    await this.connecting;
    return this.listener !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    localInvalidations.off('invalidate', this.onInvalidate);
    await this.connecting;
    this.drop?.();
    this.listener = undefined;
    this.clear();
  }
}

function remember<T>(map: Map<string, T>, name: string, value: T): void {
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(name, value);
}
