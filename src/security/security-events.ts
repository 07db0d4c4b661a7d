// Attacks the bank refused, recorded and acted on. Each is a row in `security_events` (for operators'
// queries), an audit entry, a metric, and, by policy, the end of the grant it touched: a token shown
// with another certificate, or a code redeemed twice, means someone else may hold that grant's
// tokens, so all of them stop working on the next request on every node.
import type { Logger } from 'pino';
import { revokeGrantModels } from '../auth/adapter.ts';
import { revokeConsent } from '../auth/consents.ts';
import type { Db } from '../store/db.ts';
import { appendAudit } from './audit-log.ts';

export const SECURITY_EVENT_KINDS = [
  /** An access token at the bank API with a certificate other than the one it is bound to. */
  'access_token_wrong_certificate',
  /** An access token at the bank API with no client certificate at all. */
  'access_token_without_certificate',
  /** An authorization code redeemed a second time (oidc-provider has already revoked the grant). */
  'authorization_code_reused',
  /** A refresh token with no certificate or another one than it is bound to. */
  'refresh_token_wrong_certificate',
  /** A refresh token or code presented by a client it was not issued to. */
  'grant_used_by_other_client',
  /** A private_key_jwt client assertion whose jti was already used. */
  'client_assertion_replayed',
  /** A request object (by value or pushed) whose jti was already used (auth/replay-detection.ts). */
  'request_object_replayed',
  /** The client id or token of a suspended TPP. */
  'suspended_tpp',
  /** A TPP sent twice its quota of requests in one window (http/quotas.ts); the excess was refused with 429. */
  'quota_flood',
  /** A login ID reached the failed-login limit and is locked for a while (security/login-throttle.ts). */
  'login_locked',
] as const;
export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number];

/** The default policy: which events end the affected grant (its tokens and its consent). */
const REVOKES_GRANT: Readonly<Record<SecurityEventKind, boolean>> = {
  access_token_wrong_certificate: true,
  access_token_without_certificate: false,
  authorization_code_reused: true,
  refresh_token_wrong_certificate: false,
  grant_used_by_other_client: false,
  // Whoever replays a TPP's assertion may hold the code or refresh token it came with.
  client_assertion_replayed: true,
  // Refused before any grant exists.
  request_object_replayed: false,
  suspended_tpp: false,
  quota_flood: false,
  login_locked: false,
};

export interface SecurityEvent {
  kind: SecurityEventKind;
  /** The TPP the token, code or assertion belongs to. */
  clientId?: string;
  customerId?: string;
  grantId?: string;
  interactionId?: string;
  sourceAddress?: string;
  /** What happened, in words; never a token or secret. */
  detail: string;
}

/** Longest detail stored (the column's bound). */
const DETAIL_LENGTH_MAX = 1024;

export class SecurityEvents {
  constructor(
    private readonly db: Db,
    private readonly count: (kind: SecurityEventKind, clientId: string | undefined) => void,
    private readonly logger: Logger,
  ) {}

  /** Records the event and applies the policy, in one transaction. */
  async record(event: SecurityEvent): Promise<void> {
    const revoke = REVOKES_GRANT[event.kind] && event.grantId !== undefined;
    await this.db.transaction().execute(async (trx) => {
      // Revoke first: the consent row is locked before the audit chain's head, the order every
      // transaction that touches both takes (the consent trigger appends too), so none deadlock.
      if (revoke && event.grantId !== undefined) {
        await revokeGrantModels(trx, event.grantId);
        await revokeConsent(trx, event.grantId);
      }
      await trx
        .insertInto('security_events')
        .values({
          kind: event.kind,
          client_id: event.clientId ?? null,
          customer_id: event.customerId ?? null,
          grant_id: event.grantId ?? null,
          interaction_id: event.interactionId ?? null,
          source_address: event.sourceAddress ?? null,
          detail: event.detail.slice(0, DETAIL_LENGTH_MAX),
        })
        .execute();
      await appendAudit(trx, 'security.event', { ...event, grantRevoked: revoke });
    });
    this.count(event.kind, event.clientId);
    this.logger.warn({ securityEvent: event.kind, clientId: event.clientId, grantId: event.grantId, interactionId: event.interactionId }, 'security event');
  }

  /** For event listeners that cannot await: a failure to record is logged, never thrown at the emitter. */
  recordInBackground(event: SecurityEvent): void {
    this.record(event).catch((error: unknown) => this.logger.error({ err: error, securityEvent: event.kind }, 'could not record security event'));
  }
}
