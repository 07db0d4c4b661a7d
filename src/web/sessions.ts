// Login sessions of the bank's own pages (the customer's /my, the operator's console): a random id, signed, in a
// host-only HttpOnly Secure cookie; the table keeps only the id's SHA-256 (reading the database yields no usable
// cookie) with an idle and an absolute end, so any node serves any session. One implementation for every kind of
// session; a kind names its table, cookie and clocks.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';

/** A cookie header longer than this is not looked into. */
const COOKIE_HEADER_MAX_LENGTH = 8192;

export interface SessionKind {
  /** A table with session_hash, the subject column, last_seen_at and expires_at (migrations 0005, 0007). */
  table: 'customer_sessions' | 'operator_sessions';
  subjectColumn: 'customer_id' | 'operator_id';
  /** `__Host-…`: the browser only accepts it Secure, from this host, for path `/`. */
  cookie: string;
  /** Signatures of one kind are never valid as another's. */
  purpose: string;
  /** Unused this long, the session ends (a shared or forgotten computer). */
  idleMs: number;
  /** This long after login it ends, however busy. */
  absoluteMs: number;
  sameSite: 'Lax' | 'Strict';
}

export interface WebSession {
  subjectId: string;
  /** The random id; also what the session's CSRF tokens are bound to. */
  sessionId: string;
}

export async function startWebSession(db: Db, kind: SessionKind, cookieKeys: readonly string[], reply: FastifyReply, subjectId: string, now: Date): Promise<WebSession> {
  const table = sql.table(kind.table);
  // Sessions past their absolute end are swept here, so the table stays as small as the logged-in people.
  await sql`DELETE FROM ${table} WHERE expires_at < ${now}`.execute(db);
  const sessionId = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + kind.absoluteMs);
  await sql`INSERT INTO ${table} (session_hash, ${sql.ref(kind.subjectColumn)}, last_seen_at, expires_at) VALUES (${hashOf(sessionId)}, ${subjectId}, ${now}, ${expiresAt})`.execute(db);
  setHostCookie(reply, kind.cookie, `${sessionId}.${signatureOf(kind, cookieKeys[0]!, sessionId)}`, kind.absoluteMs / 1000, kind.sameSite);
  return { subjectId, sessionId };
}

/**
 * The live session the request's cookie names, its idle clock restarted; undefined when there is none, the
 * signature is wrong, or it has gone idle or reached its end (it is then deleted).
 */
export async function currentWebSession(db: Db, kind: SessionKind, cookieKeys: readonly string[], request: FastifyRequest, now: Date): Promise<WebSession | undefined> {
  const [sessionId, signature] = (cookieValue(request, kind.cookie) ?? '').split('.');
  if (!sessionId || !signature || !cookieKeys.some((key) => sameText(signatureOf(kind, key, sessionId), signature))) return undefined;
  const table = sql.table(kind.table);
  const idleSince = new Date(now.getTime() - kind.idleMs);
  const { rows } = await sql<{ subject_id: string }>`UPDATE ${table} SET last_seen_at = ${now}
    WHERE session_hash = ${hashOf(sessionId)} AND expires_at > ${now} AND last_seen_at > ${idleSince}
    RETURNING ${sql.ref(kind.subjectColumn)} AS subject_id`.execute(db);
  if (!rows[0]) {
    await endWebSession(db, kind, undefined, sessionId);
    return undefined;
  }
  return { subjectId: rows[0].subject_id, sessionId };
}

/** Deletes the session and, given the reply, clears the cookie. */
export async function endWebSession(db: Db, kind: SessionKind, reply: FastifyReply | undefined, sessionId: string): Promise<void> {
  await sql`DELETE FROM ${sql.table(kind.table)} WHERE session_hash = ${hashOf(sessionId)}`.execute(db);
  if (reply) setHostCookie(reply, kind.cookie, '', 0, kind.sameSite);
}

export function setHostCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number, sameSite: 'Lax' | 'Strict' = 'Lax'): void {
  reply.header('set-cookie', `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=${sameSite}`);
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

/** SHA-256, base64url: what the tables keep of a session id or an API token. */
export function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

function signatureOf(kind: SessionKind, key: string, sessionId: string): string {
  return createHmac('sha256', key).update(`${kind.purpose}\0${sessionId}`).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
