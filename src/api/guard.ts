// The resource server's checks, run on every bank API request before anything else: an access token in
// the Authorization header only; active; bound to the client certificate on this connection (RFC 8705),
// or, for FAPI 2.0 DPoP clients, presented with a DPoP proof of its key (RFC 9449, dpop.ts);
// carrying the scope the route requires (`accounts` unless the route says otherwise); backed by a live consent of the same customer and TPP; the TPP active.
// What it read about a token is kept per node (access-cache.ts) until the store says it changed.
// It then hands the route the customer, the TPP and the consented accounts, and nothing more.
import assert from 'node:assert/strict';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCOUNTS_SCOPE } from '../auth/scopes.ts';
import { noteConsentUsed } from '../auth/consents.ts';
import { certificateThumbprint, clientCertificateOf } from '../http/client-certificate.ts';
import type { Db } from '../store/db.ts';
import { type DpopResourceOptions, verifyDpopProof } from './dpop.ts';
import type { SecurityEventKind, SecurityEvents } from '../security/security-events.ts';
import type { AccessTokenLookup, IssuedAccessToken } from './access.ts';
import type { AccessCache, AccessSnapshot } from './access-cache.ts';
import { insufficientScope, invalidDpopProof, invalidRequestToken, invalidToken, tppSuspended } from './errors.ts';

/** What a request that passed the guard may touch. */
export interface BankAccess {
  customerId: string;
  clientId: string;
  grantId: string;
  /** The accounts the customer shared with this TPP. */
  accountIds: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a bank API route requires; `accounts` when absent. */
    requiredScope?: string;
  }
  interface FastifyRequest {
    /** Set by the bank API guard; null until it has passed. Read it through bankAccessOf(). */
    bankAccess: BankAccess | null;
    /** The TPP the presented token was issued to, once the guard has found it: refused calls are that TPP's traffic too. */
    tokenClientId: string | null;
  }
}

/** The RFC 8705 `x5t#S256` thumbprint of the client certificate presented with this request, if any. */
export type ClientCertificateThumbprintSource = (request: FastifyRequest) => string | undefined;

/** The certificate on the TLS connection itself (the mTLS listener). */
export const socketCertificateThumbprint: ClientCertificateThumbprintSource = (request) => {
  const certificate = clientCertificateOf(request.raw);
  return certificate && certificateThumbprint(certificate);
};

export interface GuardOptions {
  db: Db;
  tokens: AccessTokenLookup;
  clientCertificateThumbprint: ClientCertificateThumbprintSource;
  clock: () => Date;
  dpop: DpopResourceOptions;
  /** Records a token used without its certificate, or a suspended TPP, before the refusal (and may end the grant). */
  securityEvents: Pick<SecurityEvents, 'record'> | undefined;
  /** What this node already read about presented tokens (access-cache.ts); without it, every request reads the store. */
  cache: AccessCache | undefined;
}

/** An Authorization header longer than this is not ours (our tokens are 43 characters). */
const AUTHORIZATION_MAX_LENGTH = 2048;
// RFC 6750 §2.1 / RFC 9449 §7.1 b64token; the scheme is case-insensitive (RFC 9110 §11.1), so `bEARER` works.
const TOKEN_PATTERN = /^(?:Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;
const SCHEME_PATTERN = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: |$)/;

type Scheme = 'bearer' | 'dpop';

function presentedTokenOf(request: FastifyRequest): { scheme: Scheme; token: string } {
  // RFC 6750 §2.2/2.3 allow the token in a form body or the query; FAPI resource servers must not.
  const query = request.query;
  if (typeof query === 'object' && query !== null && Object.hasOwn(query, 'access_token')) {
    throw invalidRequestToken('access tokens are accepted only in the Authorization header');
  }
  if (request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw invalidRequestToken('access tokens are accepted only in the Authorization header');
  }
  const header = request.headers.authorization;
  if (header === undefined || header === '') throw invalidToken('an access token is required');
  if (header.length > AUTHORIZATION_MAX_LENGTH) throw invalidRequestToken('the Authorization header is too long');
  const scheme = SCHEME_PATTERN.exec(header)?.[1]?.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'dpop') throw invalidToken('use the Bearer or DPoP authentication scheme');
  const token = TOKEN_PATTERN.exec(header)?.[1];
  if (token === undefined) throw invalidRequestToken('the Authorization header is malformed');
  return { scheme, token };
}

/** An onRequest hook: refuses with the right 400/401/403, or sets request.bankAccess. */
export function bankApiGuard(options: GuardOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const { db, tokens, clientCertificateThumbprint, clock, dpop, securityEvents, cache } = options;
  return async function guard(request, reply) {
    const record = (kind: SecurityEventKind, token: IssuedAccessToken, detail: string) =>
      securityEvents?.record({ kind, clientId: token.clientId, customerId: token.customerId, grantId: token.grantId, interactionId: request.id, sourceAddress: request.ip, detail });
    const presentedToken = presentedTokenOf(request);
    const now = clock();
    const cached = cache?.lookup(presentedToken.token, Date.now());
    const epoch = cache?.epoch;
    const token = cached?.token ?? (await tokens.find(presentedToken.token));
    if (!token || token.expiresAt <= now) throw invalidToken('the access token is unknown, expired or revoked');
    request.tokenClientId = token.clientId;
    // A DPoP-bound token is worthless without a proof of its key, so never as a Bearer token (RFC 9449 §7.2).
    if (token.dpopKeyThumbprint !== undefined) {
      if (presentedToken.scheme !== 'dpop') throw invalidDpopProof('a DPoP-bound access token must be presented with the DPoP scheme and a proof');
      const { nextNonce } = await verifyDpopProof(request, presentedToken.token, token.dpopKeyThumbprint, dpop, now);
      // RFC 9449 §8.2: a newer nonce with the answer spares the client a refusal when its own expires.
      if (nextNonce !== undefined) reply.header('dpop-nonce', nextNonce);
    } else {
      if (presentedToken.scheme !== 'bearer') throw invalidToken('a certificate-bound access token must be presented with the Bearer scheme');
      // FAPI 1.0 Advanced: tokens are sender-constrained, so an unbound token is as good as none.
      if (token.certificateThumbprint === undefined) throw invalidToken('the access token is not bound to a certificate');
      const presented = clientCertificateThumbprint(request);
      if (presented === undefined) {
        await record('access_token_without_certificate', token, 'no client certificate was presented');
        throw invalidToken('no client certificate was presented');
      }
      if (presented !== token.certificateThumbprint) {
        await record('access_token_wrong_certificate', token, 'the access token is bound to another certificate');
        throw invalidToken('the access token is bound to another certificate');
      }
    }
    // Unknown paths (no route config) are held to `accounts`, so the 404 comes only after authentication.
    const requiredScope = request.routeOptions.config?.requiredScope ?? ACCOUNTS_SCOPE;
    if (!token.scopes.has(requiredScope)) throw insufficientScope(requiredScope);

    const snapshot = cached ?? (await readConsent(db, token, now, record));
    const { consent } = snapshot;
    if (consent.expiresAt <= now) throw invalidToken('the consent behind the access token has ended');
    // A token never carries more than its consent; the consent is what the customer agreed to.
    if (!consent.scopes.includes(requiredScope)) throw insufficientScope(requiredScope);
    if (!cached && epoch !== undefined) cache?.remember(presentedToken.token, snapshot, epoch, Date.now());
    // For the customer's connected-apps page: when this TPP last used the access (one write a minute).
    const minute = Math.floor(Date.now() / 60_000);
    if (snapshot.lastUseNotedMinute !== minute) {
      await noteConsentUsed(db, token.grantId);
      snapshot.lastUseNotedMinute = minute;
    }
    request.bankAccess = { customerId: token.customerId, clientId: token.clientId, grantId: token.grantId, accountIds: consent.accountIds };
  };
}

/** The live consent behind a token, and its TPP active; otherwise the refusal (recorded for a suspended TPP). */
async function readConsent(db: Db, token: IssuedAccessToken, now: Date, record: (kind: SecurityEventKind, token: IssuedAccessToken, detail: string) => Promise<void> | undefined): Promise<AccessSnapshot> {
  const consent = await db
    .selectFrom('consents as c')
    .innerJoin('tpps as t', 't.client_id', 'c.client_id')
    .select(['c.customer_id', 'c.client_id', 'c.scopes', 'c.account_ids', 'c.expires_at', 'c.revoked_at', 't.status'])
    .where('c.grant_id', '=', token.grantId)
    .executeTakeFirst();
  if (!consent || consent.customer_id !== token.customerId || consent.client_id !== token.clientId || consent.revoked_at !== null || consent.expires_at <= now) {
    throw invalidToken('the consent behind the access token has ended');
  }
  if (consent.status !== 'active') {
    await record('suspended_tpp', token, 'a suspended TPP called the bank API');
    throw tppSuspended();
  }
  const accountIds: unknown = consent.account_ids;
  assert.ok(Array.isArray(accountIds) && accountIds.every((id) => typeof id === 'string'), `consent ${token.grantId} has malformed account_ids`);
  return {
    token,
    consent: { customerId: consent.customer_id, clientId: consent.client_id, scopes: consent.scopes.split(' '), accountIds, expiresAt: consent.expires_at },
    lastUseNotedMinute: -1,
  };
}

/** The access the guard granted this request; a route outside the guard asking for it is a bug. */
export function bankAccessOf(request: FastifyRequest): BankAccess {
  assert.ok(request.bankAccess, 'bank API route reached without passing the guard');
  return request.bankAccess;
}
