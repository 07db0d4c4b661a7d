// The operator's console under /operator on the browser listener: its own login (password and one-time code),
// its own session (web/sessions.ts: SameSite=Strict, 15 minutes idle, 8 hours in all), CSRF tokens bound to the
// session on every form. Each action calls TppAdmin, as the admin API does.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { appendAudit } from '../security/audit-log.ts';
import { verifyAuditChain } from '../security/audit-verify.ts';
import { TppRegistrationError, type TppCredentials } from '../tpp/registry.ts';
import { logoImageSource } from '../tpp/logo.ts';
import { CSRF_FIELD, csrfToken, csrfTokenMatches } from '../web/csrf.ts';
import { sendPage } from '../web/send-page.ts';
import { cookieValue, currentWebSession, endWebSession, setHostCookie, startWebSession, type SessionKind, type WebSession } from '../web/sessions.ts';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, readAuditLog, type AuditQuery } from './audit-viewer.ts';
import { auditPage, CONSOLE_PATHS, CONSOLE_PREFIX, consoleErrorPage, onboardingPage, operatorLoginPage, tppListPage, tppPage, type ConsoleFrame, type OnboardingForm } from './console-pages.ts';
import { operatorById, verifyOperatorLogin, type Operator } from './operators.ts';
import { OperatorForbiddenError, TppNotFoundError, type OperatorActor, type TppAdmin } from './tpp-admin.ts';
import { listTpps, tppDetail, tppGrants, tppSecurityEvents, tppTraffic } from './tpp-views.ts';

export interface ConsoleOptions {
  db: Db;
  tppAdmin: TppAdmin;
  /** The bank's cookie keys: they sign the session cookie and the forms' CSRF tokens. */
  cookieKeys: readonly string[];
}

/** Strict: nothing outside the bank ever links into the console, so no request from elsewhere carries the cookie. */
export const OPERATOR_SESSIONS: SessionKind = {
  table: 'operator_sessions',
  subjectColumn: 'operator_id',
  cookie: '__Host-ginko-operator',
  purpose: 'operator-session',
  idleMs: 15 * 60 * 1000,
  absoluteMs: 8 * 3600 * 1000,
  sameSite: 'Strict',
};

const LOGIN_FORM_COOKIE = '__Host-ginko-operator-login';
const LOGIN_FORM_SECONDS = 15 * 60;
/** Form fields longer than this read as empty; an inline logo (data URL) is the one long field. */
const FIELD_MAX_LENGTH = 2000;
const LOGO_FIELD_MAX_LENGTH = 70_000;
const TRAFFIC_WINDOW_MS = 24 * 3600 * 1000;
/** What the console says after each action (`?done=`). */
const DONE: Readonly<Record<string, string>> = {
  onboarded: 'The TPP is onboarded and active.',
  suspended: 'The TPP is suspended: its next token request and API call are refused.',
  reinstated: 'The TPP is active again.',
  rotated: 'The credentials are rotated: the old certificate no longer works.',
  revoked: 'The grants are revoked: their tokens no longer work.',
};

type Form = Record<string, string | string[] | undefined>;
type Logged = { operator: Operator; session: WebSession; frame: ConsoleFrame };

declare module 'fastify' {
  interface FastifyRequest {
    /** The console's logged-in operator (set by the session hook). */
    consoleOperator?: Logged;
  }
}

export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  await app.register(consolePages, { ...options, prefix: CONSOLE_PREFIX });
}

async function consolePages(app: FastifyInstance, { db, tppAdmin, cookieKeys }: ConsoleOptions): Promise<void> {
  const open = new Set<string>([CONSOLE_PATHS.login]);
  app.decorateRequest('consoleOperator', undefined);

  // Every page but the login needs a live session; every POST the session's form token.
  app.addHook('preHandler', async (request, reply) => {
    if (open.has(request.routeOptions.url ?? '')) return;
    const session = await currentWebSession(db, OPERATOR_SESSIONS, cookieKeys, request, new Date());
    const operator = session && (await operatorById(db, session.subjectId));
    if (!session || !operator) return showLogin(request, reply, { status: 401, sessionEnded: cookieValue(request, OPERATOR_SESSIONS.cookie) !== undefined });
    const csrf = csrfToken(cookieKeys, `operator-session:${session.sessionId}`);
    if (request.method === 'POST' && !csrfTokenMatches(cookieKeys, `operator-session:${session.sessionId}`, formOf(request)[CSRF_FIELD])) {
      return sendPage(reply.code(403), consoleErrorPage(undefined, 403, 'This form was not one the console showed in this session. Go back, reload and try again.'));
    }
    const done = (request.query as { done?: string } | undefined)?.done;
    request.consoleOperator = { operator, session, frame: { operator, csrf, notice: done ? DONE[done] : undefined } };
  });
  const logged = (request: FastifyRequest): Logged => request.consoleOperator!;
  const actor = (request: FastifyRequest): OperatorActor => ({ operator: logged(request).operator, via: 'console', requestId: request.id });

  app.get('/', async (_request, reply) => reply.redirect(CONSOLE_PATHS.tpps, 303));

  app.get('/login', async (request, reply) => showLogin(request, reply, { status: 200 }));

  app.post('/login', async (request, reply) => {
    const body = formOf(request);
    const formCookie = cookieValue(request, LOGIN_FORM_COOKIE) ?? '';
    if (!formCookie || !csrfTokenMatches(cookieKeys, `operator-login:${formCookie}`, body[CSRF_FIELD])) return showLogin(request, reply, { status: 403 });
    const name = field(body, 'name');
    const now = new Date();
    const login = await verifyOperatorLogin(db, name, field(body, 'password'), field(body, 'totp'), now);
    if (!login.ok) {
      await appendAudit(db, 'operator.login.failed', { locked: login.locked, requestId: request.id, sourceAddress: request.ip });
      return showLogin(request, reply, { status: login.locked ? 429 : 401, name: name.slice(0, 64), failed: !login.locked, locked: login.locked });
    }
    await startWebSession(db, OPERATOR_SESSIONS, cookieKeys, reply, login.operator.operatorId, now);
    await appendAudit(db, 'operator.login.succeeded', { operatorId: login.operator.operatorId, via: 'console', requestId: request.id, sourceAddress: request.ip });
    return reply.redirect(CONSOLE_PATHS.tpps, 303);
  });

  app.post('/logout', async (request, reply) => {
    await endWebSession(db, OPERATOR_SESSIONS, reply, logged(request).session.sessionId);
    return reply.redirect(CONSOLE_PATHS.login, 303);
  });

  app.get('/tpps', async (request, reply) => sendPage(reply, tppListPage(logged(request).frame, await listTpps(db))));

  app.get('/tpps/new', async (request, reply) => sendPage(reply, onboardingPage(logged(request).frame)));

  app.post('/tpps', { bodyLimit: 128 * 1024 }, async (request, reply) => {
    const body = formOf(request);
    const form: OnboardingForm = {
      name: field(body, 'name'),
      registrationNumber: field(body, 'registrationNumber'),
      contact: field(body, 'contact'),
      redirectUris: field(body, 'redirectUris'),
      authMethod: field(body, 'authMethod'),
      profile: field(body, 'profile'),
      logoUri: field(body, 'logoUri', LOGO_FIELD_MAX_LENGTH),
      ...credentialsForm(body),
      scopes: fields(body, 'scopes'),
    };
    try {
      const { clientId } = await tppAdmin.onboard(actor(request), {
        name: form.name ?? '',
        registrationNumber: form.registrationNumber || undefined,
        contact: form.contact || undefined,
        redirectUris: (form.redirectUris ?? '').split(/\r?\n/).map((line) => line.trim()).filter(Boolean),
        scopes: form.scopes,
        authMethod: form.authMethod as 'tls_client_auth',
        profile: (form.profile || undefined) as 'fapi1' | undefined,
        logoUri: form.logoUri || undefined,
        ...credentialsOf(form),
      });
      return reply.redirect(`${CONSOLE_PATHS.tpp(clientId)}?done=onboarded`, 303);
    } catch (error) {
      if (!(error instanceof TppRegistrationError)) throw error;
      return sendPage(reply.code(400), onboardingPage({ ...logged(request).frame, problem: error.message }, form));
    }
  });

  app.get<{ Params: { clientId: string } }>('/tpps/:clientId', async (request, reply) => showTpp(request, reply, 200));

  app.post<{ Params: { clientId: string } }>('/tpps/:clientId/suspend', async (request, reply) => {
    await tppAdmin.setStatus(actor(request), request.params.clientId, 'suspended', reasonOf(request));
    return backToTpp(reply, request.params.clientId, 'suspended');
  });

  app.post<{ Params: { clientId: string } }>('/tpps/:clientId/reinstate', async (request, reply) => {
    await tppAdmin.setStatus(actor(request), request.params.clientId, 'active', reasonOf(request));
    return backToTpp(reply, request.params.clientId, 'reinstated');
  });

  app.post<{ Params: { clientId: string } }>('/tpps/:clientId/credentials', async (request, reply) => {
    try {
      await tppAdmin.rotateCredentials(actor(request), request.params.clientId, credentialsOf(credentialsForm(formOf(request))));
    } catch (error) {
      if (!(error instanceof TppRegistrationError)) throw error;
      return showTpp(request, reply, 400, error.message);
    }
    return backToTpp(reply, request.params.clientId, 'rotated');
  });

  app.post<{ Params: { clientId: string } }>('/tpps/:clientId/grants/revoke', async (request, reply) => {
    await tppAdmin.revokeAllGrants(actor(request), request.params.clientId, reasonOf(request));
    return backToTpp(reply, request.params.clientId, 'revoked');
  });

  app.post<{ Params: { clientId: string; grantId: string } }>('/tpps/:clientId/grants/:grantId/revoke', async (request, reply) => {
    await tppAdmin.revokeGrant(actor(request), request.params.clientId, request.params.grantId, reasonOf(request));
    return backToTpp(reply, request.params.clientId, 'revoked');
  });

  app.get('/audit', async (request, reply) => {
    const raw = request.query as Record<string, unknown>;
    const text = (name: string) => (typeof raw[name] === 'string' && raw[name] !== '' && (raw[name] as string).length <= 64 ? (raw[name] as string) : undefined);
    const date = (name: string) => {
      const value = text(name);
      const parsed = value === undefined ? undefined : new Date(value);
      return parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
    };
    const number = (name: string) => {
      const value = Number(text(name));
      return Number.isSafeInteger(value) && value > 0 ? value : undefined;
    };
    const query: AuditQuery = {
      clientId: text('clientId'),
      customerId: text('customerId'),
      action: text('action'),
      from: date('from'),
      to: date('to'),
      beforeSeq: number('beforeSeq'),
      limit: Math.min(number('limit') ?? AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX),
    };
    const auditLog = await readAuditLog(db, query);
    const verdict = raw.verify === '1' ? await verifyAuditChain(db) : undefined;
    const next = new URLSearchParams(
      Object.entries({ ...query, from: query.from?.toISOString(), to: query.to?.toISOString(), beforeSeq: auditLog.nextBeforeSeq }).flatMap(([name, value]): [string, string][] => (value === undefined ? [] : [[name, String(value)]])),
    );
    return sendPage(reply, auditPage(logged(request).frame, { query, page: auditLog, verdict, nextHref: auditLog.nextBeforeSeq ? `${CONSOLE_PATHS.audit}?${next}` : undefined }));
  });

  async function showTpp(request: FastifyRequest<{ Params: { clientId: string } }>, reply: FastifyReply, status: number, problem?: string) {
    const { clientId } = request.params;
    const now = new Date();
    const tpp = await tppDetail(db, clientId);
    const [traffic, events, grants] = await Promise.all([tppTraffic(db, clientId, new Date(now.getTime() - TRAFFIC_WINDOW_MS)), tppSecurityEvents(db, clientId), tppGrants(db, clientId, now)]);
    // The TPP's logo, as its customers see it on the consent page: its origin (or data:) alone joins img-src.
    return sendPage(reply.code(status), tppPage({ ...logged(request).frame, problem }, { tpp, traffic, events, grants }), tpp.logoUri ? { imageSource: logoImageSource(tpp.logoUri) } : {});
  }

  function showLogin(request: FastifyRequest, reply: FastifyReply, shown: { status: number; name?: string; failed?: boolean; locked?: boolean; sessionEnded?: boolean }) {
    const formCookie = randomBytes(18).toString('base64url');
    setHostCookie(reply, LOGIN_FORM_COOKIE, formCookie, LOGIN_FORM_SECONDS, 'Strict');
    const { status, ...rest } = shown;
    return sendPage(reply.code(status), operatorLoginPage({ csrf: csrfToken(cookieKeys, `operator-login:${formCookie}`), ...rest }));
  }

  app.setErrorHandler(async (error, request, reply) => {
    const frame = request.consoleOperator?.frame;
    if (error instanceof OperatorForbiddenError) return sendPage(reply.code(403), consoleErrorPage(frame, 403, error.message));
    if (error instanceof TppNotFoundError) return sendPage(reply.code(404), consoleErrorPage(frame, 404, error.message));
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'operator console failed');
    return sendPage(reply.code(status), consoleErrorPage(frame, status, status >= 500 ? 'The bank could not do this; the log has the details.' : 'The request was not understood.'));
  });

  app.setNotFoundHandler(async (request, reply) => sendPage(reply.code(404), consoleErrorPage(undefined, 404, 'There is no such page.')));
}

function backToTpp(reply: FastifyReply, clientId: string, done: string) {
  return reply.redirect(`${CONSOLE_PATHS.tpp(clientId)}?done=${done}`, 303);
}

function formOf(request: FastifyRequest): Form {
  return (request.body as Form | undefined) ?? {};
}

/** A form field as one bounded string: absent, repeated or oversized fields read as empty. */
function field(body: Form, name: string, maxLength = FIELD_MAX_LENGTH): string {
  const value = body[name];
  return typeof value === 'string' && value.length <= maxLength ? value : '';
}

function fields(body: Form, name: string): string[] {
  const value = body[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((item) => item.length <= 64).slice(0, 10);
}

function reasonOf(request: FastifyRequest): string {
  const reason = field(formOf(request), 'reason').trim().slice(0, 200);
  return reason || 'no reason given';
}

function credentialsForm(body: Form): Pick<OnboardingForm, 'tlsClientAuthSubjectDn' | 'jwks' | 'jwksUri'> {
  return { tlsClientAuthSubjectDn: field(body, 'tlsClientAuthSubjectDn'), jwks: field(body, 'jwks', LOGO_FIELD_MAX_LENGTH), jwksUri: field(body, 'jwksUri') };
}

/** The credentials as typed: a JWKS that is not JSON is the operator's mistake, said as such. */
function credentialsOf(form: Pick<OnboardingForm, 'tlsClientAuthSubjectDn' | 'jwks' | 'jwksUri'>): TppCredentials {
  let jwks: TppCredentials['jwks'];
  if (form.jwks) {
    try {
      jwks = JSON.parse(form.jwks) as TppCredentials['jwks'];
    } catch {
      throw new TppRegistrationError('the JWKS is not JSON');
    }
    if (!jwks || !Array.isArray(jwks.keys) || !jwks.keys.every((key) => typeof key === 'object' && key !== null)) throw new TppRegistrationError('the JWKS must be an object with a "keys" array');
  }
  return { tlsClientAuthSubjectDn: form.tlsClientAuthSubjectDn || undefined, jwks, jwksUri: form.jwksUri || undefined };
}
