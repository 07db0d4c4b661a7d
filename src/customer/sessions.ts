// The customer's login to the bank's own pages (connected apps), separate from oidc-provider's session: a TPP's
// authorization never opens these pages, and logging in here never authorizes a TPP. The session lives in the
// database (any node serves it); the browser holds a random id, signed, in a host-only HttpOnly Secure cookie.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';

/** `__Host-`: the browser only accepts it Secure, from this host, for path `/`. */
export const SESSION_COOKIE = '__Host-ginko-session';
/** A session unused this long ends (a shared or forgotten computer). */
export const SESSION_IDLE_MS = 10 * 60 * 1000;
/** A session ends this long after login, however busy. */
export const SESSION_ABSOLUTE_MS = 60 * 60 * 1000;
/** A cookie header longer than this is not looked into. */
const COOKIE_HEADER_MAX_LENGTH = 8192;

export interface CustomerSession {
  customerId: string;
  /** The random id; also what the session's CSRF tokens are bound to. */
  sessionId: string;
}

export async function startSession(db: Db, cookieKeys: readonly string[], reply: FastifyReply, customerId: string, now: Date): Promise<CustomerSession> {
  // Sessions past their absolute end are swept here, so the table stays as small as the logged-in customers.
  await db.deleteFrom('customer_sessions').where('expires_at', '<', now).execute();
  const sessionId = randomBytes(32).toString('base64url');
  await db
    .insertInto('customer_sessions')
    .values({ session_hash: hashOf(sessionId), customer_id: customerId, last_seen_at: now, expires_at: new Date(now.getTime() + SESSION_ABSOLUTE_MS) })
    .execute();
  setCookie(reply, `${sessionId}.${signatureOf(cookieKeys[0]!, sessionId)}`, SESSION_ABSOLUTE_MS / 1000);
  return { customerId, sessionId };
}

/**
 * The live session the request's cookie names, its idle clock restarted; undefined when there is none, the
 * signature is wrong, or it has gone idle or reached its end (it is then deleted).
 */
export async function currentSession(db: Db, cookieKeys: readonly string[], request: FastifyRequest, now: Date): Promise<CustomerSession | undefined> {
  const [sessionId, signature] = (cookieValue(request, SESSION_COOKIE) ?? '').split('.');
  if (!sessionId || !signature || !cookieKeys.some((key) => sameText(signatureOf(key, sessionId), signature))) return undefined;
  const idleSince = new Date(now.getTime() - SESSION_IDLE_MS);
  const row = await db
    .updateTable('customer_sessions')
    .set({ last_seen_at: now })
    .where('session_hash', '=', hashOf(sessionId))
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', idleSince)
    .returning('customer_id')
    .executeTakeFirst();
  if (!row) {
    await db.deleteFrom('customer_sessions').where('session_hash', '=', hashOf(sessionId)).execute();
    return undefined;
  }
  return { customerId: row.customer_id, sessionId };
}

export async function endSession(db: Db, reply: FastifyReply, session: CustomerSession): Promise<void> {
  await db.deleteFrom('customer_sessions').where('session_hash', '=', hashOf(session.sessionId)).execute();
  setCookie(reply, '', 0);
}

function setCookie(reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  setHostCookie(reply, SESSION_COOKIE, value, maxAgeSeconds);
}

/** Lax, not Strict: a customer following a link to the bank from elsewhere (a TPP's "manage access") stays logged in. */
export function setHostCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`);
}

export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header || header.length > COOKIE_HEADER_MAX_LENGTH) return undefined;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index > 0 && pair.slice(0, index).trim() === name) return pair.slice(index + 1).trim();
  }
  return undefined;
}

/** The table keeps only this, so reading the database yields no usable cookie. */
function hashOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}

function signatureOf(key: string, sessionId: string): string {
  return createHmac('sha256', key).update(`customer-session\0${sessionId}`).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
