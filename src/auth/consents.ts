// The customer's consent as the bank keeps it: which TPP, which scopes, which accounts, until when.
// oidc-provider's Grant carries the scopes for token issuance; this row carries what the bank APIs
// enforce, under the same id.
import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import type { Db } from '../store/db.ts';

export interface NewConsent {
  grantId: string;
  customerId: string;
  clientId: string;
  scopes: string[];
  accountIds: string[];
  expiresAt: Date;
}

export async function recordConsent(db: Db, consent: NewConsent): Promise<void> {
  await db
    .insertInto('consents')
    .values({
      grant_id: consent.grantId,
      customer_id: consent.customerId,
      client_id: consent.clientId,
      scopes: consent.scopes.join(' '),
      account_ids: JSON.stringify(consent.accountIds),
      expires_at: consent.expiresAt,
    })
    .execute();
}

/**
 * The customer approved: an oidc-provider Grant for the scopes, and the consent row the bank APIs enforce
 * under its id. Returns the grant id. (The consent page and the bank app's CIBA approvals both end here.)
 */
export async function grantConsent(provider: Provider, db: Db, consent: Omit<NewConsent, 'grantId'>): Promise<string> {
  const grant = new provider.Grant({ accountId: consent.customerId, clientId: consent.clientId });
  grant.addOIDCScope(consent.scopes.join(' '));
  const grantId = await grant.save();
  await recordConsent(db, { ...consent, grantId });
  return grantId;
}

/** Marks the consent revoked; idempotent, so every path that ends a grant may call it. */
export async function revokeConsent(db: Db, grantId: string): Promise<void> {
  await db.updateTable('consents').set({ revoked_at: sql<Date>`now()` }).where('grant_id', '=', grantId).where('revoked_at', 'is', null).execute();
}

/**
 * The API guard notes each accepted call: the minute of the TPP's latest use. Written at most once a
 * minute per consent, so a busy TPP costs one no-op UPDATE per call, not a row write.
 */
export async function noteConsentUsed(db: Db, grantId: string): Promise<void> {
  await db
    .updateTable('consents')
    .set({ last_used_at: sql<Date>`date_trunc('minute', now())` })
    .where('grant_id', '=', grantId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`date_trunc('minute', now())`)]))
    .execute();
}
