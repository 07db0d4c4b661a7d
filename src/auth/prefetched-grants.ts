// A code, refresh token or access token is always followed, in the same request, by its grant: oidc-provider
// loads the token, then `Grant.find(token.grantId)`. The adapter reads both in one statement (adapter.ts)
// and leaves the grant here, for that request only (oidc-provider's request context), to be taken once.
// Any write to the grant in the request, or a revocation, drops it, so a later find reads the store.
import Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';

/** Per request: grant id → the grant's row as read with its token (undefined: no live grant). */
const prefetched = new WeakMap<object, Map<string, AdapterPayload | undefined>>();

/** Leaves a grant read alongside a token; outside oidc-provider's requests there is nothing to leave it for. */
export function leaveGrant(grantId: string, grant: AdapterPayload | undefined): void {
  const ctx = Provider.ctx;
  if (!ctx) return;
  let grants = prefetched.get(ctx);
  if (!grants) prefetched.set(ctx, (grants = new Map()));
  grants.set(grantId, grant);
}

/** The grant read with this request's token, taken once; `found: false` when there is none to take. */
export function takeGrant(grantId: string): { found: true; grant: AdapterPayload | undefined } | { found: false } {
  const grants = Provider.ctx && prefetched.get(Provider.ctx);
  if (!grants?.has(grantId)) return { found: false };
  const grant = grants.get(grantId);
  grants.delete(grantId);
  return { found: true, grant };
}

/** The grant changed (saved, destroyed, revoked) in this request: what was read before is stale. */
export function forgetGrant(grantId: string): void {
  const grants = Provider.ctx && prefetched.get(Provider.ctx);
  grants?.delete(grantId);
}
