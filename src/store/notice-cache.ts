// A node's copy of what it read from the store, kept only while the store's change notices flow: each
// entry carries the tags a change to it is announced with (migration 0012's triggers NOTIFY
// `grant:<id>`, `tpp:<clientId>` or `*`), and a notice forgets every entry it names. While the LISTEN
// connection is down the cache is emptied and bypassed, so every lookup reads the store as if uncached.
// The API's access cache (api/access-cache.ts) and the TPP metadata cache (auth/client-cache.ts) are two
// of these on one LISTEN connection (followStoreChanges).
import type { Logger } from 'pino';
import type { Store } from './db.ts';
import { keepListening, type Notices, type NoticeTiming } from './notices.ts';

/** No entry outlives this even if every notice were lost: a backstop, not the invalidation mechanism. */
const ENTRY_AGE_MAX_MS = 5 * 60_000;

interface Entry<Value> {
  value: Value;
  tags: string[];
  storedAt: number;
}

export interface NoticeCacheOptions<Value> {
  /** Entries kept at most; beyond it the oldest goes. */
  entriesMax: number;
  /** The tags whose notice must forget this entry. */
  tagsOf: (key: string, value: Value) => string[];
}

/** What follows the store's notices: told of each, and of the LISTEN connection going down and coming back. */
export interface NoticeFollower {
  changed(tag: string): void;
  suspend(): void;
  resume(): void;
}

export class NoticeCache<Value> implements NoticeFollower {
  private readonly entries = new Map<string, Entry<Value>>();
  private readonly byTag = new Map<string, Set<string>>();
  private generation = 0;
  private enabled = false;

  /** For the metrics and the tests: lookups the store was spared or answered, notices seen, LISTEN connections lost. */
  readonly stats = { hits: 0, misses: 0, notices: 0, outages: 0 };

  constructor(private readonly options: NoticeCacheOptions<Value>) {}

  /** Read before looking the key up in the store; pass it to `remember`. */
  get epoch(): number {
    return this.generation;
  }

  lookup(key: string, now: number): Value | undefined {
    const entry = this.enabled ? this.entries.get(key) : undefined;
    if (entry && now - entry.storedAt > ENTRY_AGE_MAX_MS) this.drop(key);
    else if (entry) {
      this.stats.hits += 1;
      return entry.value;
    }
    this.stats.misses += 1;
    return undefined;
  }

  /**
   * Keeps what the store said, unless something changed since `epoch` was read: the answer may then
   * predate a change whose notice has already come and gone.
   */
  remember(key: string, value: Value, epoch: number, now: number): void {
    if (!this.enabled || epoch !== this.generation) return;
    this.drop(key);
    if (this.entries.size >= this.options.entriesMax) this.drop(this.entries.keys().next().value!);
    const tags = this.options.tagsOf(key, value);
    this.entries.set(key, { value, tags, storedAt: now });
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  /** A notice from the store, or this node's own change ahead of its notice: forget every entry it names (`*`: all). */
  changed(tag: string): void {
    this.generation += 1;
    this.stats.notices += 1;
    if (tag === '*') return this.clear();
    for (const key of this.byTag.get(tag) ?? []) this.drop(key);
  }

  /** Notices may be missed from now on: forget everything and stop remembering. */
  suspend(): void {
    if (this.enabled) this.stats.outages += 1;
    this.generation += 1;
    this.enabled = false;
    this.clear();
  }

  resume(): void {
    this.generation += 1;
    this.clear();
    this.enabled = true;
  }

  private clear(): void {
    this.entries.clear();
    this.byTag.clear();
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
  }
}

/** The caches follow `channel` on one LISTEN connection; each is off until the first LISTEN is in place. */
export function followStoreChanges(store: Store, channel: string, caches: readonly NoticeFollower[], logger: Logger, timing?: NoticeTiming): Promise<Notices> {
  return keepListening(
    store,
    channel,
    {
      notice: (tag) => caches.forEach((cache) => cache.changed(tag)),
      down: () => caches.forEach((cache) => cache.suspend()),
      up: () => caches.forEach((cache) => cache.resume()),
    },
    logger,
    timing,
  );
}
