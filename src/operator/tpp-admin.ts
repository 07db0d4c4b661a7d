// What an operator may change about a TPP: onboard it, rotate its credentials, suspend and reinstate it, and end
// its grants. The console (console-routes.ts) and the admin API (admin-api.ts) both call these, so both do
// exactly the same; each change and its audit entry (with the operator's id) commit together.
//
// Every change takes effect on the next request on every node: the authorization server reads the client from
// `tpps` on each request (auth/adapter.ts), the API guard checks the TPP's status and the consent on each call,
// and the access cache of each node hears of the change from the store (api/access-cache.ts).
import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import { errors, type ClientMetadata } from 'oidc-provider';
import type { Db } from '../store/db.ts';
import { revokeGrantModels, revokeTppGrants } from '../auth/adapter.ts';
import { revokeConsent } from '../auth/consents.ts';
import { appendAudit, type OperatorAuditAction } from '../security/audit-log.ts';
import { credentialMetadataOf, onboardTpp, TppRegistrationError, validateCredentials, type TppAuthMethod, type TppCredentials, type TppRegistration } from '../tpp/registry.ts';
import { mayChange, type Operator } from './operators.ts';

/** Who acts, and how: every audit entry of an operator action carries these. */
export interface OperatorActor {
  operator: Operator;
  via: 'console' | 'api';
  /** The request's x-fapi-interaction-id / request id, to find its log lines. */
  requestId: string;
}

/** The role does not allow the action (an auditor changing something). */
export class OperatorForbiddenError extends Error {
  override name = 'OperatorForbiddenError';
}

export class TppNotFoundError extends Error {
  override name = 'TppNotFoundError';
  constructor(clientId: string) {
    super(`there is no TPP with client id '${clientId.slice(0, 64)}'`);
  }
}

/** oidc-provider's client validation (`provider.Client.validate`): what the authorization server would refuse. */
export type ClientMetadataCheck = (metadata: Record<string, unknown>) => Promise<void>;

/** The authorization server's own verdict on client metadata, as a registration error the operator can act on. */
export function providerClientCheck(provider: Provider): ClientMetadataCheck {
  return async (metadata) => {
    try {
      await provider.Client.validate(metadata as ClientMetadata);
    } catch (error) {
      if (error instanceof errors.InvalidClientMetadata) throw new TppRegistrationError(error.error_description ?? error.message);
      throw error;
    }
  };
}

export class TppAdmin {
  constructor(
    private readonly db: Db,
    private readonly checkMetadata: ClientMetadataCheck,
  ) {}

  async onboard(actor: OperatorActor, input: TppRegistration & TppCredentials): Promise<{ clientId: string; metadata: Record<string, unknown> }> {
    assertMayChange(actor);
    return this.db.transaction().execute(async (trx) => {
      const onboarded = await onboardTpp(trx, input, this.checkMetadata);
      await audit(trx, actor, 'operator.tpp.onboarded', { clientId: onboarded.clientId, authMethod: input.authMethod, profile: input.profile ?? 'fapi1', registrationNumber: input.registrationNumber });
      return onboarded;
    });
  }

  /**
   * New keys and, for tls_client_auth, a new certificate subject: the old certificate no longer authenticates the
   * TPP, and its access tokens (bound to the old certificate) end now. Refresh tokens of a confidential client are
   * not bound to a certificate, so the TPP refreshes with its new one and its customers need not link again.
   */
  async rotateCredentials(actor: OperatorActor, clientId: string, credentials: TppCredentials): Promise<void> {
    assertMayChange(actor);
    await this.db.transaction().execute(async (trx) => {
      const tpp = await trx.selectFrom('tpps').select(['metadata']).where('client_id', '=', clientId).forUpdate().executeTakeFirst();
      if (!tpp) throw new TppNotFoundError(clientId);
      const current = tpp.metadata as Record<string, unknown> & { token_endpoint_auth_method: TppAuthMethod };
      const checked = validateCredentials(current.token_endpoint_auth_method, credentials);
      // Everything but the credentials stays as it was.
      const { jwks: _jwks, jwks_uri: _jwksUri, tls_client_auth_subject_dn: _subject, ...kept } = current;
      const metadata = { ...kept, ...credentialMetadataOf(current.token_endpoint_auth_method, checked) };
      await this.checkMetadata({ ...metadata, client_id: clientId });
      await trx.updateTable('tpps').set({ metadata: JSON.stringify(metadata) }).where('client_id', '=', clientId).execute();
      const ended = await sql`DELETE FROM oidc_models WHERE model = 'AccessToken' AND payload ->> 'clientId' = ${clientId}`.execute(trx);
      await audit(trx, actor, 'operator.tpp.credentials_rotated', { clientId, subjectDn: checked.tlsClientAuthSubjectDn, accessTokensEnded: Number(ended.numAffectedRows ?? 0n) });
    });
  }

  /** Suspended, the TPP is unknown to the authorization server and refused by the APIs, at once; its grants stay for reinstatement. */
  async setStatus(actor: OperatorActor, clientId: string, status: 'active' | 'suspended', reason: string): Promise<void> {
    assertMayChange(actor);
    await this.db.transaction().execute(async (trx) => {
      // A TPP that deregistered itself (RFC 7592) is gone; it is not the operator's to revive.
      const changed = await trx.updateTable('tpps').set({ status }).where('client_id', '=', clientId).where('status', 'in', ['active', 'suspended']).returning('client_id').executeTakeFirst();
      if (!changed) throw new TppNotFoundError(clientId);
      await audit(trx, actor, status === 'suspended' ? 'operator.tpp.suspended' : 'operator.tpp.reinstated', { clientId, reason });
    });
  }

  /** Ends one grant of the TPP: its consent, then its tokens and codes. False when the TPP has no such live grant. */
  async revokeGrant(actor: OperatorActor, clientId: string, grantId: string, reason: string): Promise<boolean> {
    assertMayChange(actor);
    return this.db.transaction().execute(async (trx) => {
      // The consent row first, the audit chain's head after (the order every writer takes; security-events.ts).
      const consent = await trx.selectFrom('consents').select('grant_id').where('grant_id', '=', grantId).where('client_id', '=', clientId).where('revoked_at', 'is', null).forUpdate().executeTakeFirst();
      if (!consent) return false;
      await revokeConsent(trx, grantId);
      await revokeGrantModels(trx, grantId);
      await audit(trx, actor, 'operator.grant.revoked', { clientId, grantId, reason });
      return true;
    });
  }

  /** Ends every grant of the TPP (a breach at the TPP): each consent revoked (and audited), every token and code gone. */
  async revokeAllGrants(actor: OperatorActor, clientId: string, reason: string): Promise<number> {
    assertMayChange(actor);
    return this.db.transaction().execute(async (trx) => {
      const tpp = await trx.selectFrom('tpps').select('client_id').where('client_id', '=', clientId).executeTakeFirst();
      if (!tpp) throw new TppNotFoundError(clientId);
      const grants = await revokeTppGrants(trx, clientId);
      await audit(trx, actor, 'operator.tpp.grants_revoked', { clientId, grants, reason });
      return grants;
    });
  }
}

export function assertMayChange(actor: OperatorActor): void {
  if (!mayChange(actor.operator.role)) throw new OperatorForbiddenError(`the ${actor.operator.role} role may look but not change anything`);
}

/** An operator action's audit entry: the operator, the way in, the request. */
export function audit(db: Db, actor: OperatorActor, action: OperatorAuditAction, facts: Record<string, string | number | undefined>): Promise<void> {
  return appendAudit(db, action, { ...facts, operatorId: actor.operator.operatorId, via: actor.via, requestId: actor.requestId });
}
