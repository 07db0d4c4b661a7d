// Connected apps (連携サービス管理): the TPPs a customer has granted access, and ending one at once.
import type Provider from 'oidc-provider';
import type { Db } from '../store/db.ts';
import { accountLabel, customerAccounts } from '../bank/accounts.ts';
import { revokeConsent } from '../auth/consents.ts';
import { recentAccessByGrant, type ApiAccess } from './recent-access.ts';

export interface ConnectedApp {
  grantId: string;
  tppName: string;
  registrationNumber: string | undefined;
  scopes: string[];
  accountLabels: string[];
  grantedAt: Date;
  lastUsedAt: Date | undefined;
  expiresAt: Date;
  /** The app's newest calls to the bank APIs, newest first (recent-access.ts). */
  recentAccess: (ApiAccess & { accountLabel: string | undefined })[];
}

/** A customer with more live grants than this sees the newest ones; a real customer has a handful. */
const CONNECTED_APPS_MAX = 100;

/**
 * The customer's live grants, newest first. A transfer approval leaves a grant of `openid` alone (an ID token,
 * no access that lasts), so it is no connected app.
 */
export async function connectedApps(db: Db, customerId: string, now: Date): Promise<ConnectedApp[]> {
  const rows = await db
    .selectFrom('consents as c')
    .innerJoin('tpps as t', 't.client_id', 'c.client_id')
    .select(['c.grant_id', 't.name', 't.registration_number', 'c.scopes', 'c.account_ids', 'c.created_at', 'c.last_used_at', 'c.expires_at'])
    .where('c.customer_id', '=', customerId)
    .where('c.revoked_at', 'is', null)
    .where('c.expires_at', '>', now)
    .where('c.scopes', '<>', 'openid')
    .orderBy('c.created_at', 'desc')
    .limit(CONNECTED_APPS_MAX)
    .execute();
  const labels = new Map((await customerAccounts(db, customerId)).map((a) => [a.accountId, accountLabel(a)]));
  const recentAccess = await recentAccessByGrant(db, customerId, rows.map((row) => row.grant_id));
  return rows.map((row) => ({
    grantId: row.grant_id,
    tppName: row.name,
    registrationNumber: row.registration_number ?? undefined,
    scopes: row.scopes.split(' '),
    accountLabels: row.account_ids.map((id) => labels.get(id) ?? id),
    grantedAt: row.created_at,
    lastUsedAt: row.last_used_at ?? undefined,
    expiresAt: row.expires_at,
    recentAccess: (recentAccess.get(row.grant_id) ?? []).map((access) => ({ ...access, accountLabel: access.accountId && labels.get(access.accountId) })),
  }));
}

/**
 * Ends the customer's grant at once: the consent first (the API guard refuses the very next call), then
 * oidc-provider's grant and every token issued under it (the refresh token no longer works). False when the
 * grant is not this customer's live one: nothing is done, and another customer's grant looks like none.
 */
export async function revokeConnectedApp(db: Db, provider: Provider, customerId: string, grantId: string): Promise<boolean> {
  const consent = await db
    .selectFrom('consents')
    .select('grant_id')
    .where('grant_id', '=', grantId)
    .where('customer_id', '=', customerId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!consent) return false;
  await revokeConsent(db, grantId);
  const grant = await provider.Grant.find(grantId);
  await grant?.destroy();
  // Access and refresh tokens, codes: one adapter deletes every model bound to the grant.
  await provider.AccessToken.adapter.revokeByGrantId(grantId);
  return true;
}
