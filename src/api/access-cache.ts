// Each node keeps what the API guard read about a presented access token (the token, its consent, its
// TPP's status), so that a TPP calling again costs no store round trip for it. The store says when
// any of that changes: triggers (migration 0012) NOTIFY `ginko_access_changed` with a tag naming what
// changed — `grant:<id>` (a token or grant deleted or changed, a consent revoked or changed),
// `tpp:<clientId>` (suspended, changed) or `*` — whichever path made the change: customer, operator,
// TPP (RFC 7009), security policy, or SQL typed by hand. Nothing in the application has to remember to
// invalidate the cache.
//
// The bound: a node refuses a revoked token from the moment the revocation's notice reaches it.
// PostgreSQL signals every listening session at commit, before the committing client hears that its
// COMMIT succeeded; the notice then takes as long as that session's backend needs to be scheduled and
// send it: well under a millisecond on a server with CPU to spare, longer on a saturated one (the
// two-node test, with both nodes and PostgreSQL on two busy cores, once saw a request overtake it).
// While the LISTEN connection is down — from the moment the node notices, at once when PostgreSQL
// closes it, within DEFAULT_NOTICE_TIMING's 3 s when it dies silently — the cache is emptied and
// bypassed: every request reads the store, as if uncached.
import type { Logger } from 'pino';
import type { Store } from '../store/db.ts';
import { keepListening, type Notices, type NoticeTiming } from '../store/notices.ts';
import type { IssuedAccessToken } from './access.ts';

/** The channel the migration's triggers notify. */
export const ACCESS_CHANGED_CHANNEL = 'ginko_access_changed';

/** What the guard checks on every request, as read from the store when the token was last looked up. */
export interface AccessSnapshot {
  token: IssuedAccessToken;
  consent: { customerId: string; clientId: string; scopes: readonly string[]; accountIds: readonly string[]; expiresAt: Date };
  /** The minute the consent's last use was last written (consents.last_used_at), so it is written once a minute. */
  lastUseNotedMinute: number;
}

/** Entries kept per node; at 50 TPPs × 1000 customers this still holds every live token. */
const ENTRIES_MAX = 50_000;
/** No entry outlives this even if every notice were lost: a backstop, not the revocation mechanism. */
const ENTRY_AGE_MAX_MS = 5 * 60_000;

interface Entry {
  snapshot: AccessSnapshot;
  tags: string[];
  storedAt: number;
}

export class AccessCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private generation = 0;
  private enabled = false;

  /** Counters for the metrics and the tests: how often the store was spared, notices seen, LISTEN connections lost. */
  readonly stats = { hits: 0, misses: 0, notices: 0, outages: 0 };

  /** Read before looking a token up in the store; pass it to `remember`. */
  get epoch(): number {
    return this.generation;
  }

  lookup(tokenValue: string, now: number): AccessSnapshot | undefined {
    const entry = this.enabled ? this.entries.get(tokenValue) : undefined;
    if (entry && now - entry.storedAt > ENTRY_AGE_MAX_MS) this.drop(tokenValue);
    else if (entry) {
      this.stats.hits += 1;
      return entry.snapshot;
    }
    this.stats.misses += 1;
    return undefined;
  }

  /**
   * Keeps what the store said, unless something changed since `epoch` was read: the answer may then
   * predate a revocation whose notice has already come and gone.
   */
  remember(tokenValue: string, snapshot: AccessSnapshot, epoch: number, now: number): void {
    if (!this.enabled || epoch !== this.generation) return;
    this.drop(tokenValue);
    if (this.entries.size >= ENTRIES_MAX) this.drop(this.entries.keys().next().value!);
    const tags = [`grant:${snapshot.token.grantId}`, `tpp:${snapshot.token.clientId}`];
    this.entries.set(tokenValue, { snapshot, tags, storedAt: now });
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(tokenValue);
    }
  }

  /** A notice from the store: forget every entry it names (`*`: all). */
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

  private drop(tokenValue: string): void {
    const entry = this.entries.get(tokenValue);
    if (!entry) return;
    this.entries.delete(tokenValue);
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(tokenValue);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
  }
}

/** A cache that follows the store's notices; off until the first LISTEN is in place. */
export async function startAccessCache(store: Store, logger: Logger, timing?: NoticeTiming): Promise<{ cache: AccessCache; notices: Notices }> {
  const cache = new AccessCache();
  const notices = await keepListening(store, ACCESS_CHANGED_CHANNEL, { notice: (tag) => cache.changed(tag), down: () => cache.suspend(), up: () => cache.resume() }, logger, timing);
  return { cache, notices };
}
