// What the authorization server does and refuses, turned into audit entries and security events.
// oidc-provider already refuses every attack here (a reused code also revokes its grant); its events
// tell us which request it was, and this records it. Request-object `jti`s, which oidc-provider does
// not track, are refused by auth/replay-detection.ts with an error event of the same kind.
import type { EventEmitter } from 'node:events';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { INTERACTION_ID_HEADER } from '../http/interaction-id.ts';
import { PROVIDER_ERROR_EVENTS } from '../ops/metrics.ts';
import { REQUEST_OBJECT_REPLAYED } from '../auth/replay-detection.ts';
import { holdAnswerFor } from '../auth/request-writes.ts';
import type { Db } from '../store/db.ts';
import type { AuditAction, AuditFacts } from './audit-log.ts';
import type { AuditGroupCommit } from './audit-group-commit.ts';
import type { SecurityEventKind, SecurityEvents } from './security-events.ts';

/** Saved codes and tokens: each is a `token.issued` entry. */
const ISSUE_EVENTS = {
  'authorization_code.saved': 'authorization_code',
  'access_token.saved': 'access_token',
  'refresh_token.saved': 'refresh_token',
} as const;

interface OAuthError {
  error?: string;
  error_description?: string;
  /** oidc-provider's own reason behind a generic description ("grant request is invalid"). */
  error_detail?: string;
}

interface GrantBoundToken {
  clientId?: string;
  accountId?: string;
  grantId?: string;
}

export function watchProvider(provider: Provider, options: { db: Db; securityEvents: SecurityEvents; logger: Logger; audit: AuditGroupCommit }): void {
  const { db, securityEvents, logger } = options;
  // Through the node's group commit: the token endpoint's entries share commits with the API calls'.
  // The request that caused an entry answers only once it is committed (auth/request-writes.ts); if it
  // could not be, that request fails rather than hand out what the log does not show.
  const audit = (action: AuditAction, facts: AuditFacts) => {
    const appended = options.audit.append(action, facts).catch((error: unknown) => {
      logger.error({ err: error, action }, 'could not write audit entry');
      throw error;
    });
    if (!holdAnswerFor(appended)) appended.catch(() => {});
  };
  const events = provider as unknown as EventEmitter;
  // A reused code's grant is revoked (and its code deleted) before the error is emitted: remember which.
  const revokedBy = new WeakMap<object, string>();
  for (const [event, type] of Object.entries(ISSUE_EVENTS)) {
    events.on(event, (token: GrantBoundToken) => audit('token.issued', { type, clientId: token.clientId, customerId: token.accountId, grantId: token.grantId }));
  }
  events.on('grant.revoked', (ctx: KoaContextWithOIDC | undefined, grantId: string) => {
    if (ctx) revokedBy.set(ctx, grantId);
    audit('grant.revoked', { grantId, clientId: ctx?.oidc?.client?.clientId, interactionId: interactionIdOf(ctx) });
  });
  for (const event of PROVIDER_ERROR_EVENTS) {
    events.on(event, (ctx: KoaContextWithOIDC | undefined, error: OAuthError) => {
      if (!ctx) return;
      const kind = kindOf(ctx, error);
      if (kind) {
        recordGrantEvent(ctx, kind, `${event}: ${error.error_detail ?? error.error_description ?? error.error ?? 'refused'}`);
      } else if (error.error === 'invalid_client') {
        recordIfSuspended(ctx, event);
      }
    });
  }

  /** The grant is the refused token's, or the one oidc-provider just revoked; its consent names the customer. */
  function recordGrantEvent(ctx: KoaContextWithOIDC, kind: SecurityEventKind, detail: string): void {
    presentedToken(ctx)
      .then(async (token) => {
        const grantId = token?.grantId ?? revokedBy.get(ctx);
        const consent = grantId === undefined ? undefined : await db.selectFrom('consents').select('customer_id').where('grant_id', '=', grantId).executeTakeFirst();
        await securityEvents.record({
          kind,
          clientId: ctx.oidc.client?.clientId ?? token?.clientId,
          customerId: token?.accountId ?? consent?.customer_id,
          grantId,
          interactionId: interactionIdOf(ctx),
          sourceAddress: ctx.req.socket.remoteAddress,
          detail,
        });
      })
      .catch((error: unknown) => logger.error({ err: error, securityEvent: kind }, 'could not record security event'));
  }

  /**
   * The code or refresh token the refused request presented. oidc-provider has not loaded it when client
   * authentication failed first (a replayed assertion); then it is looked up, and counts only if it is
   * the authenticating client's own.
   */
  async function presentedToken(ctx: KoaContextWithOIDC): Promise<GrantBoundToken | undefined> {
    const loaded = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as GrantBoundToken | undefined;
    if (loaded) return loaded;
    const { grant_type: grantType, code, refresh_token: refreshToken } = (ctx.oidc.params ?? {}) as Record<string, unknown>;
    const clientId = ctx.oidc.client?.clientId;
    let found: GrantBoundToken | undefined;
    if (grantType === 'authorization_code' && typeof code === 'string') found = await provider.AuthorizationCode.find(code);
    if (grantType === 'refresh_token' && typeof refreshToken === 'string') found = await provider.RefreshToken.find(refreshToken);
    return found && clientId !== undefined && found.clientId === clientId ? found : undefined;
  }

  /** A suspended TPP is unknown to the authorization server; whether the unknown client is one is ours to say. */
  function recordIfSuspended(ctx: KoaContextWithOIDC, event: string): void {
    const clientId: unknown = ctx.oidc.params?.client_id;
    if (typeof clientId !== 'string') return;
    db.selectFrom('tpps')
      .select('client_id')
      .where('client_id', '=', clientId)
      .where('status', '=', 'suspended')
      .executeTakeFirst()
      .then((tpp) => {
        if (tpp) {
          securityEvents.recordInBackground({
            kind: 'suspended_tpp',
            clientId,
            interactionId: interactionIdOf(ctx),
            sourceAddress: ctx.req.socket.remoteAddress,
            detail: `${event}: a suspended TPP tried to authenticate`,
          });
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not look up a refused client'));
  }
}

function kindOf(ctx: KoaContextWithOIDC, error: OAuthError): SecurityEventKind | undefined {
  const description = error.error_detail ?? error.error_description ?? '';
  const grantType = ctx.oidc.params?.grant_type;
  if (description === 'client assertion tokens must only be used once') return 'client_assertion_replayed';
  if (description === REQUEST_OBJECT_REPLAYED) return 'request_object_replayed';
  if (error.error !== 'invalid_grant') return undefined;
  if (description === 'client mismatch') return 'grant_used_by_other_client';
  // oidc-provider's own check, or our adapter's for the loser of two concurrent redemptions.
  if (grantType === 'authorization_code' && description.endsWith('already consumed')) return 'authorization_code_reused';
  if (grantType === 'refresh_token' && (description === 'failed x5t#S256 verification' || description === 'mutual TLS client certificate not provided')) {
    return 'refresh_token_wrong_certificate';
  }
  return undefined;
}

/** The listener set the response's x-fapi-interaction-id before oidc-provider saw the request. */
function interactionIdOf(ctx: KoaContextWithOIDC | undefined): string | undefined {
  const id = ctx?.res.getHeader(INTERACTION_ID_HEADER);
  return typeof id === 'string' ? id : undefined;
}
