// Single use of the JWTs a TPP signs: client assertions and DPoP proofs (oidc-provider's ReplayDetection
// model, made atomic here) and request objects (RFC 9101 §10.8), which oidc-provider does not track.
// A jti is remembered in `oidc_models` until the JWT has expired, so a replay to any node is refused;
// one INSERT decides between two concurrent uses, so two nodes cannot both accept one JWT.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { renderAuthorizationError } from './pages.ts';

export const REQUEST_OBJECT_REPLAYED = 'request object jti already used';

/** Keeps request objects' jtis apart from client assertions' and DPoP proofs' (oidc-provider uses the client id). */
const REQUEST_OBJECT_LABEL = 'ginko-request-object';
/** FAPI request objects live an hour at most (exp - nbf); a jti is never remembered longer than that and a margin. */
const REMEMBER_SECONDS_MAX = 3600 + 120;
const INTERACTION_PATH = /^\/interaction\/([\w-]+)$/;

/** oidc-provider's id for (issuer, jti), so its rows and ours are one namespace. */
const replayId = (iss: string, jti: string) => createHash('sha256').update(`${iss}${jti}`).digest('base64url');

/** True the first time (iss, jti) is seen, in one statement: an expired row is taken over, a live one wins. */
export async function firstUse(db: Db, iss: string, jti: string, expiresAtSeconds: number): Promise<boolean> {
  const expiresAt = new Date(Math.min(expiresAtSeconds, Date.now() / 1000 + REMEMBER_SECONDS_MAX) * 1000);
  const id = replayId(iss, jti);
  // Prepared once per connection (store/prepared-statements.ts): every client assertion and DPoP proof comes here.
  const inserted = await db.executeQuery(
    preparedQuery(
      sql<{ id: string }>`
    INSERT INTO oidc_models (model, id, payload, expires_at)
    VALUES ('ReplayDetection', ${id}, ${JSON.stringify({ iss, jti: id })}, ${expiresAt})
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at
      WHERE oidc_models.expires_at <= now()
    RETURNING id`.compile(db),
    ),
  );
  return inserted.rows.length === 1;
}

/**
 * oidc-provider's `ReplayDetection.unique` looks a jti up, then saves it: two requests on two nodes can
 * both find nothing and both pass. Every caller (client assertions, DPoP proofs at the token endpoint and,
 * through auth/dpop-replay.ts, at the bank APIs) gets the atomic insert instead.
 */
export function makeReplayDetectionAtomic(provider: Provider, db: Db): void {
  Object.defineProperty(provider.ReplayDetection, 'unique', { value: (iss: string, jti: string, exp: number) => firstUse(db, iss, jti, exp) });
}

interface PendingUse {
  clientId: string;
  jti: string;
  exp: number;
}

/** The request object each request carried, between the claims check and the end of the request. */
const pendingUses = new WeakMap<object, PendingUse>();

/**
 * oidc-provider's request-object claims hook, which this replaces, does what it did — FAPI request
 * objects carry exp, aud and nbf at most an hour apart; CIBA authentication requests also iat and jti
 * — and notes the jti. Nothing is written here: the signature is checked after this hook, so the jti
 * is remembered once the request is accepted.
 */
export function requestObjectClaimsCheck(db: Db | undefined) {
  return async (ctx: KoaContextWithOIDC, claims: Record<string, unknown>, _header: unknown, client: { clientId: string }): Promise<void> => {
    const fapi = ctx.oidc.isFapi('1.0 Final', '2.0') !== undefined;
    const required = new Set([...(fapi ? ['exp', 'aud', 'nbf'] : []), ...(ctx.oidc.route === 'backchannel_authentication' ? ['exp', 'iat', 'nbf', 'jti'] : [])]);
    for (const claim of required) {
      if (claims[claim] === undefined) throw new errors.InvalidRequestObject(`Request Object is missing the '${claim}' claim`);
    }
    const lifetime = Number(claims.exp) - Number(claims.nbf);
    if (fapi && !(lifetime > 0 && lifetime <= 3600)) throw new errors.InvalidRequestObject("Request Object 'exp' claim too far from 'nbf' claim");
    // A pushed request object comes back here at the authorization endpoint: it was remembered when pushed.
    if (!db || ctx.oidc.entities.PushedAuthorizationRequest || typeof claims.jti !== 'string') return;
    pendingUses.set(ctx, { clientId: client.clientId, jti: claims.jti, exp: Number(claims.exp) });
  };
}

/**
 * Remembers the jti of an accepted request object — a pushed request, a CIBA authentication request, or
 * an authorization request that reached the login — in one atomic insert. A replay, sequential or the
 * loser of two at once, is undone (what it created deleted) and refused with invalid_request_object:
 * as JSON from the back-channel endpoints, on an error page at the authorization endpoint, with the
 * endpoint's error event.
 */
export function rememberRequestObjects(provider: Provider, db: Db) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const use = pendingUses.get(ctx);
    const accepted = use && acceptedRequest(provider, ctx);
    if (!use || !accepted) return;
    if (await firstUse(db, `${REQUEST_OBJECT_LABEL}:${use.clientId}`, use.jti, use.exp + 60)) return;

    await accepted.undo();
    const error = new errors.InvalidRequestObject(REQUEST_OBJECT_REPLAYED);
    provider.emit(`${ctx.oidc.route}.error`, ctx, error);
    ctx.status = 400;
    if (accepted.inBrowser) {
      ctx.remove('location');
      await renderAuthorizationError(ctx, { error: error.error, error_description: error.error_description });
    } else {
      ctx.body = { error: error.error, error_description: error.error_description };
    }
  };
}

/** What an accepted request made, and how to take it back; undefined when the request was refused anyway. */
function acceptedRequest(provider: Provider, ctx: KoaContextWithOIDC): { inBrowser: boolean; undo(): Promise<unknown> } | undefined {
  const body = (ctx.body ?? {}) as { request_uri?: unknown; auth_req_id?: unknown };
  switch (ctx.oidc.route) {
    case 'pushed_authorization_request': {
      const id = ctx.status === 201 && typeof body.request_uri === 'string' ? body.request_uri.split(':').pop() : undefined;
      return id === undefined ? undefined : { inBrowser: false, undo: async () => (await provider.PushedAuthorizationRequest.find(id))?.destroy() };
    }
    case 'backchannel_authentication': {
      const id = ctx.status === 200 && typeof body.auth_req_id === 'string' ? body.auth_req_id : undefined;
      return id === undefined ? undefined : { inBrowser: false, undo: async () => (await provider.BackchannelAuthenticationRequest.find(id))?.destroy() };
    }
    case 'authorization': {
      const uid = ctx.status === 303 ? INTERACTION_PATH.exec(String(ctx.response.get('location')))?.[1] : undefined;
      return uid === undefined ? undefined : { inBrowser: true, undo: async () => (await provider.Interaction.find(uid))?.destroy() };
    }
    default:
      return undefined;
  }
}
