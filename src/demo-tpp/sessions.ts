// The demo's browser sessions, kept on the server: the cookie holds only a random id, and the tokens, the
// pending authorization (state, nonce, PKCE verifier) and the CSRF token stay in this process. A real TPP would
// keep them in its database; the demo's are lost on restart, and the customer links again.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Language } from '../web/layout.ts';
import type { PendingAuthorization, Tokens } from './bank-client.ts';

/** `__Host-`: only over HTTPS, only from this origin's root, no Domain attribute (RFC 6265bis §4.1.3.2). */
export const SESSION_COOKIE = '__Host-kakeibo-session';

/** Limits: a session idle this long, or older than this, is gone; beyond this many, the least recent goes. */
const IDLE_MS = 30 * 60 * 1000;
const ABSOLUTE_MS = 12 * 3600 * 1000;
const SESSIONS_MAX = 10_000;
/** The customer has this long at the bank between leaving the demo and coming back. */
export const PENDING_MS = 10 * 60 * 1000;

export type Notice = 'linked' | 'refused' | 'ended' | 'unlinked' | 'expired' | 'failed';

export type Pending = PendingAuthorization & { startedAtMs: number } & ({ kind: 'link' } | { kind: 'transfer'; applyNo: string; accountId: string });

export interface DemoSession {
  readonly id: string;
  /** Every form carries it; a POST without it is refused (the cookie is SameSite=Lax, this is the second line). */
  readonly csrf: string;
  lang: Language;
  /** The customer's link to the bank: tokens never leave the server. */
  link: (Tokens & { linkedAtMs: number }) | undefined;
  pending: Pending | undefined;
  /** A message for the next page shown (then cleared). */
  notice: Notice | undefined;
  /** The last transfer sent from this session, to show its outcome. */
  lastTransfer: { applyNo: string; accountId: string } | undefined;
  readonly createdAtMs: number;
  lastSeenMs: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    demoSession: DemoSession;
  }
  interface FastifyInstance {
    /**
     * The same session under a new id (and cookie): after linking, so that an id someone learnt before the
     * customer linked (session fixation) never carries the customer's tokens.
     */
    renewDemoSession(request: FastifyRequest, reply: FastifyReply): void;
  }
}

/** Gives every request its session (a new one when the cookie names none alive) and sets the cookie. */
export function demoSessions(app: FastifyInstance): void {
  const sessions = new Map<string, DemoSession>();
  app.decorateRequest('demoSession', undefined as unknown as DemoSession);
  app.addHook('onRequest', async (request, reply) => {
    const now = Date.now();
    const id = cookieValue(request, SESSION_COOKIE);
    let session = id ? sessions.get(id) : undefined;
    if (session && (now - session.lastSeenMs > IDLE_MS || now - session.createdAtMs > ABSOLUTE_MS)) {
      sessions.delete(session.id);
      session = undefined;
    }
    if (!session) {
      session = newSession(now, id !== undefined);
      setCookie(reply, session.id);
    }
    // Map order is insertion order: re-inserting keeps the least recently used first, to be evicted first.
    sessions.delete(session.id);
    sessions.set(session.id, session);
    session.lastSeenMs = now;
    while (sessions.size > SESSIONS_MAX) sessions.delete(sessions.keys().next().value!);
    request.demoSession = session;
  });
  app.decorate('renewDemoSession', (request: FastifyRequest, reply: FastifyReply) => {
    const old = request.demoSession;
    sessions.delete(old.id);
    const renewed: DemoSession = { ...old, id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url') };
    sessions.set(renewed.id, renewed);
    setCookie(reply, renewed.id);
    request.demoSession = renewed;
  });
}

/** Ends the session's link and pending state, keeping only the language (after unlinking, say). */
export function forgetLink(session: DemoSession, notice: Notice): void {
  session.link = undefined;
  session.pending = undefined;
  session.lastTransfer = undefined;
  session.notice = notice;
}

function newSession(now: number, hadCookie: boolean): DemoSession {
  return {
    id: randomBytes(32).toString('base64url'),
    csrf: randomBytes(32).toString('base64url'),
    lang: 'ja',
    link: undefined,
    pending: undefined,
    // A cookie naming no live session: it expired (or the demo restarted); say so rather than start blank.
    notice: hadCookie ? 'expired' : undefined,
    lastTransfer: undefined,
    createdAtMs: now,
    lastSeenMs: now,
  };
}

function setCookie(reply: FastifyReply, id: string): void {
  // Lax: the cookie comes along when the bank redirects the browser back to /callback (a top-level GET).
  reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Lax`);
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=') || undefined;
  }
  return undefined;
}
