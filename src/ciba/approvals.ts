// The customer's side of CIBA: the requests waiting for them in the bank's app, and their decision. An
// approval becomes a grant and a consent exactly like the ordinary consent page's (auth/consents.ts), then
// oidc-provider's backchannelResult hands it to the waiting TPP (and pings a ping-mode TPP).
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { customerAccounts } from '../bank/accounts.ts';
import { grantConsent } from '../auth/consents.ts';
import { ACCOUNTS_SCOPE, TRANSFERS_SCOPE } from '../auth/scopes.ts';
import type { Db } from '../store/db.ts';

export interface PendingApproval {
  authReqId: string;
  tppName: string;
  tppRegistrationNumber: string | null;
  scopes: string[];
  bindingMessage: string;
  expiresAt: Date;
}

/** A customer has at most a few requests waiting; the page shows this many, the oldest first. */
const PENDING_SHOWN_MAX = 20;

export async function pendingApprovals(db: Db, customerId: string): Promise<PendingApproval[]> {
  const rows = await db
    .selectFrom('backchannel_approvals as a')
    .innerJoin('tpps as t', 't.client_id', 'a.client_id')
    .select(['a.auth_req_id', 't.name', 't.registration_number', 'a.scopes', 'a.binding_message', 'a.expires_at'])
    .where('a.customer_id', '=', customerId)
    .where('a.decision', 'is', null)
    .where('a.expires_at', '>', sql<Date>`now()`)
    .where('t.status', '=', 'active')
    .orderBy('a.created_at')
    .limit(PENDING_SHOWN_MAX)
    .execute();
  return rows.map((row) => ({
    authReqId: row.auth_req_id,
    tppName: row.name,
    tppRegistrationNumber: row.registration_number,
    scopes: row.scopes.split(' '),
    bindingMessage: row.binding_message,
    expiresAt: row.expires_at,
  }));
}

/** Reading or transfer scopes are limited to accounts the customer ticks, as on the consent page. */
export function asksForAccounts(scopes: readonly string[]): boolean {
  return scopes.includes(ACCOUNTS_SCOPE) || scopes.includes(TRANSFERS_SCOPE);
}

export type Decision = { approve: true; accountIds: string[] } | { approve: false };
export type DecisionOutcome = 'approved' | 'denied' | 'gone' | 'accounts_required';

export interface DecisionDeps {
  db: Db;
  provider: Provider;
  consentDays: number;
  logger: Logger;
}

/**
 * Records the customer's decision once (the row's `decision IS NULL` claim), for their own, unexpired
 * request only; anything else is `gone`, whatever the reason, so nothing about others' requests leaks.
 */
export async function decide(deps: DecisionDeps, customerId: string, authReqId: string, decision: Decision): Promise<DecisionOutcome> {
  const { db, provider } = deps;
  const pending = (await pendingApprovals(db, customerId)).find((p) => p.authReqId === authReqId);
  if (!pending) return 'gone';
  const offered = new Set((await customerAccounts(db, customerId)).map((a) => a.accountId));
  const accountIds = decision.approve ? [...new Set(decision.accountIds)].filter((id) => offered.has(id)) : [];
  if (decision.approve && asksForAccounts(pending.scopes) && accountIds.length === 0) return 'accounts_required';

  const claimed = await db
    .updateTable('backchannel_approvals')
    .set({ decision: decision.approve ? 'approved' : 'denied', decided_at: sql<Date>`now()` })
    .where('auth_req_id', '=', authReqId)
    .where('customer_id', '=', customerId)
    .where('decision', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('client_id')
    .executeTakeFirst();
  if (!claimed) return 'gone';

  const result = decision.approve
    ? await provider.Grant.find(
        await grantConsent(provider, db, {
          customerId,
          clientId: claimed.client_id,
          scopes: pending.scopes,
          accountIds,
          expiresAt: new Date(Date.now() + deps.consentDays * 24 * 3600 * 1000),
        }),
      )
    : new errors.AccessDenied('the customer denied the request');
  if (!result) throw new Error(`the grant for ${authReqId} vanished as it was made`);
  await deliver(deps, authReqId, result);
  return decision.approve ? 'approved' : 'denied';
}

/** The result is stored before the ping; a ping the TPP's endpoint refuses is logged, and the TPP may still poll. */
async function deliver(deps: DecisionDeps, authReqId: string, result: Parameters<Provider['backchannelResult']>[1]): Promise<void> {
  try {
    await deps.provider.backchannelResult(authReqId, result);
  } catch (error) {
    const stored = await deps.provider.BackchannelAuthenticationRequest.find(authReqId, { ignoreExpiration: true });
    if (!stored?.grantId && !stored?.error) throw error;
    deps.logger.warn({ err: error, authReqId }, 'the CIBA ping to the TPP failed; it can still poll');
  }
}
