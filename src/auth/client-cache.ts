// Each node keeps the metadata of the active TPPs it has looked up: oidc-provider loads the client on
// every PAR, authorization, token and introspection request, and a TPP's row changes rarely. It follows
// the same notices as the API's access cache (api/access-cache.ts, migration 0012): any UPDATE or DELETE
// of a `tpps` row — suspension, deregistration, a new key or certificate, however it is made — NOTIFYs
// `tpp:<clientId>`, and this node forgets that TPP; `*` forgets all. While the LISTEN connection is down
// the cache is emptied and bypassed, so every lookup reads the store as if uncached. Only TPPs found
// active are kept: a new or reactivated TPP is always read from the store (an INSERT notifies nobody).
import { NoticeCache } from '../store/notice-cache.ts';

/** TPPs kept per node: far more than a bank has; beyond it the oldest entry goes. */
const ENTRIES_MAX = 10_000;

/** The tag a change to one TPP's row is announced with (migration 0012's notify_tpp_changed). */
export const tppChangedTag = (clientId: string): string => `tpp:${clientId}`;

/** Active TPPs' metadata by client id, each forgotten when its TPP changes. */
export type ClientMetadataCache = NoticeCache<Readonly<Record<string, unknown>>>;

export function newClientMetadataCache(): ClientMetadataCache {
  return new NoticeCache<Readonly<Record<string, unknown>>>({ entriesMax: ENTRIES_MAX, tagsOf: (clientId) => [tppChangedTag(clientId)] });
}
