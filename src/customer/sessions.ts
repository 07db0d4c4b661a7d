// The customer's login to the bank's own pages (connected apps), separate from oidc-provider's session: a TPP's
// authorization never opens these pages, and logging in here never authorizes a TPP. A session kind of
// web/sessions.ts: kept in the database (any node serves it), a signed random id in the cookie.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { currentWebSession, endWebSession, startWebSession, type SessionKind } from '../web/sessions.ts';

export { cookieValue, setHostCookie } from '../web/sessions.ts';

/** `__Host-`: the browser only accepts it Secure, from this host, for path `/`. */
export const SESSION_COOKIE = '__Host-ginko-session';
/** A session unused `idleSeconds` ends (a shared or forgotten computer); `maxSeconds` after login it ends, however busy. */
export interface SessionLimits {
  idleSeconds: number;
  maxSeconds: number;
}

/** The customer's sessions under the configured limits (GINKO_SESSION_IDLE_SECONDS, GINKO_SESSION_MAX_SECONDS). */
export function customerSessionKind(limits: SessionLimits): SessionKind {
  return {
    table: 'customer_sessions',
    subjectColumn: 'customer_id',
    cookie: SESSION_COOKIE,
    purpose: 'customer-session',
    idleMs: limits.idleSeconds * 1000,
    absoluteMs: limits.maxSeconds * 1000,
    // Lax, not Strict: a customer following a link to the bank from elsewhere (a TPP's "manage access") stays logged in.
    sameSite: 'Lax',
  };
}

export interface CustomerSession {
  customerId: string;
  /** The random id; also what the session's CSRF tokens are bound to. */
  sessionId: string;
}

export async function startSession(db: Db, kind: SessionKind, cookieKeys: readonly string[], reply: FastifyReply, customerId: string, now: Date): Promise<CustomerSession> {
  const { sessionId } = await startWebSession(db, kind, cookieKeys, reply, customerId, now);
  return { customerId, sessionId };
}

/**
 * The live session the request's cookie names, its idle clock restarted; undefined when there is none, the
 * signature is wrong, or it has gone idle or reached its end (it is then deleted).
 */
export async function currentSession(db: Db, kind: SessionKind, cookieKeys: readonly string[], request: FastifyRequest, now: Date): Promise<CustomerSession | undefined> {
  const session = await currentWebSession(db, kind, cookieKeys, request, now);
  return session && { customerId: session.subjectId, sessionId: session.sessionId };
}

export async function endSession(db: Db, kind: SessionKind, reply: FastifyReply, session: CustomerSession): Promise<void> {
  await endWebSession(db, kind, reply, session.sessionId);
}
