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
import { NoticeCache } from '../store/notice-cache.ts';
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

/** Presented access tokens, each forgotten when its grant or its TPP changes. */
export type AccessCache = NoticeCache<AccessSnapshot>;

export function newAccessCache(): AccessCache {
  return new NoticeCache<AccessSnapshot>({ entriesMax: ENTRIES_MAX, tagsOf: (_token, snapshot) => [`grant:${snapshot.token.grantId}`, `tpp:${snapshot.token.clientId}`] });
}
