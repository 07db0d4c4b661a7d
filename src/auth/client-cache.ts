// Each node keeps the metadata of the active TPPs it has looked up: oidc-provider loads the client on
// every PAR, authorization, token and introspection request, and a TPP's row changes rarely. It follows
// the same notices as the API's access cache (api/access-cache.ts, migration 0012): any UPDATE or DELETE
// of a `tpps` row — suspension, deregistration, a new key or certificate, however it is made — NOTIFYs
// `tpp:<clientId>`, and this node forgets that TPP; `*` forgets all. While the LISTEN connection is down
// the cache is emptied and bypassed, so every lookup reads the store as if uncached. Only TPPs found
// active are kept: a new or reactivated TPP is always read from the store (an INSERT notifies nobody).
import type { Logger } from 'pino';
import type { Store } from '../store/db.ts';
import { keepListening, type Notices, type NoticeTiming } from '../store/notices.ts';
import { ACCESS_CHANGED_CHANNEL } from '../api/access-cache.ts';

/** TPPs kept per node: far more than a bank has; beyond it the oldest entry goes. */
const ENTRIES_MAX = 10_000;
/** No entry outlives this even if every notice were lost: a backstop, not the invalidation mechanism. */
const ENTRY_AGE_MAX_MS = 5 * 60_000;
const TPP_TAG_PREFIX = 'tpp:';

interface Entry {
  metadata: Readonly<Record<string, unknown>>;
  storedAt: number;
}

export class ClientMetadataCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private enabled = false;

  /** For the metrics and the tests: lookups the store was spared, lookups it answered, notices seen. */
  readonly stats = { hits: 0, misses: 0, notices: 0 };

  /** Read before looking a TPP up in the store; pass it to `remember`. */
  get epoch(): number {
    return this.generation;
  }

  lookup(clientId: string, now: number): Readonly<Record<string, unknown>> | undefined {
    const entry = this.enabled ? this.entries.get(clientId) : undefined;
    if (entry && now - entry.storedAt <= ENTRY_AGE_MAX_MS) {
      this.stats.hits += 1;
      return entry.metadata;
    }
    if (entry) this.entries.delete(clientId);
    this.stats.misses += 1;
    return undefined;
  }

  /** Keeps an active TPP's metadata, unless a notice came since `epoch` was read (the read may predate it). */
  remember(clientId: string, metadata: Readonly<Record<string, unknown>>, epoch: number, now: number): void {
    if (!this.enabled || epoch !== this.generation) return;
    this.entries.delete(clientId);
    if (this.entries.size >= ENTRIES_MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(clientId, { metadata, storedAt: now });
  }

  /** A notice from the store, or this node's own change to a TPP (ahead of its notice). */
  changed(tag: string): void {
    this.generation += 1;
    this.stats.notices += 1;
    if (tag === '*') this.entries.clear();
    else if (tag.startsWith(TPP_TAG_PREFIX)) this.entries.delete(tag.slice(TPP_TAG_PREFIX.length));
  }

  /** Notices may be missed from now on: forget everything and stop remembering. */
  suspend(): void {
    this.generation += 1;
    this.enabled = false;
    this.entries.clear();
  }

  resume(): void {
    this.generation += 1;
    this.entries.clear();
    this.enabled = true;
  }
}

/** The tag a change to one TPP's row is announced with (migration 0012's notify_tpp_changed). */
export const tppChangedTag = (clientId: string): string => `${TPP_TAG_PREFIX}${clientId}`;

/** A cache that follows the store's notices; off until the first LISTEN is in place. */
export async function startClientCache(store: Store, logger: Logger, timing?: NoticeTiming): Promise<{ cache: ClientMetadataCache; notices: Notices }> {
  const cache = new ClientMetadataCache();
  const notices = await keepListening(store, ACCESS_CHANGED_CHANNEL, { notice: (tag) => cache.changed(tag), down: () => cache.suspend(), up: () => cache.resume() }, logger, timing);
  return { cache, notices };
}
