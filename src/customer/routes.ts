// The customer's own pages on the browser listener, under /my: log in, see connected apps, disconnect one, manage
// passkeys, log out.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { Db } from '../store/db.ts';
import { customerById } from '../bank/customers.ts';
import { errorPage } from '../auth/pages.ts';
import { CSRF_FIELD, csrfToken, csrfTokenMatches } from '../web/csrf.ts';
import { languageOf, type Language } from '../web/layout.ts';
import { sendPage } from '../web/send-page.ts';
import { connectedApps, revokeConnectedApp } from './connected-apps.ts';
import { connectedAppsPage, CONNECTED_APPS_PATH, customerLoginPage, LOGIN_PATH, LOGOUT_PATH, MY_PREFIX, logoutForm, myNav, PASSKEYS_PATH, REVOKE_PATH } from './pages.ts';
import { passkeysPage, PASSKEY_REMOVE_PATH, type PasskeyNotice } from './passkeys-page.ts';
import { enrolPasskey, passkeysOf, PASSKEYS_PER_CUSTOMER_MAX, registrationOptions, removePasskey, type PasskeyParty } from './passkeys.ts';
import { passwordAndCodeLogin, type LoginDeps } from './login.ts';
import { appendAudit } from '../security/audit-log.ts';
import { cookieValue, currentSession, customerSessionKind, endSession, setHostCookie, startSession, SESSION_COOKIE, type CustomerSession, type SessionLimits } from './sessions.ts';

export interface CustomerRoutesOptions {
  provider: Provider;
  db: Db;
  /** The bank's cookie keys: they sign the session cookie and the forms' CSRF tokens. */
  cookieKeys: readonly string[];
  /** Passkeys for this origin, and the password login's back-off and lock. */
  passkeyParty: PasskeyParty;
  login: Omit<LoginDeps, 'db'>;
  sessionLimits: SessionLimits;
}

type Form = Record<string, string | string[] | undefined>;

/** Before login there is no session to bind a form to: the login form is bound to a random cookie of its own. */
const LOGIN_FORM_COOKIE = '__Host-ginko-login-form';
/** Time to fill in the login form. */
const LOGIN_FORM_SECONDS = 15 * 60;
/** Longer form fields are refused before any work (the scrypt of a password is costly). */
const FIELD_MAX_LENGTH = 128;
/** A WebAuthn answer (JSON) or a credential id is longer than a password, though still bounded. */
const CREDENTIAL_MAX_LENGTH = 16_384;

export async function customerRoutes(app: FastifyInstance, { provider, db, cookieKeys, passkeyParty, login, sessionLimits }: CustomerRoutesOptions): Promise<void> {
  const loginDeps: LoginDeps = { db, ...login };
  const sessionKind = customerSessionKind(sessionLimits);
  const sessionCsrf = (session: CustomerSession) => csrfToken(cookieKeys, `session:${session.sessionId}`);

  app.get(MY_PREFIX, async (request, reply) => reply.redirect(`${CONNECTED_APPS_PATH}${langQuery(langOf(request))}`, 303));

  app.get(LOGIN_PATH, async (request, reply) => showLogin(request, reply, { status: 200 }));

  app.post<{ Body: Form }>(LOGIN_PATH, async (request, reply) => {
    const lang = langOf(request);
    const formCookie = cookieValue(request, LOGIN_FORM_COOKIE) ?? '';
    if (!formCookie || !csrfTokenMatches(cookieKeys, `login:${formCookie}`, request.body?.[CSRF_FIELD])) return showLogin(request, reply, { status: 403 });
    const loginId = field(request.body, 'loginId');
    const now = new Date();
    const outcome = await passwordAndCodeLogin(loginDeps, { loginId, password: field(request.body, 'password'), code: field(request.body, 'totp') }, { interactionId: request.id }, now);
    if (!outcome.ok) {
      if (outcome.retryAfter) return showLogin(request, reply, { status: 429, loginId, throttled: { until: outcome.retryAfter, locked: outcome.locked } });
      return showLogin(request, reply, { status: 401, loginId, failed: true });
    }
    await startSession(db, sessionKind, cookieKeys, reply, outcome.customer.customerId, now);
    return reply.redirect(`${CONNECTED_APPS_PATH}${langQuery(lang)}`, 303);
  });

  app.get<{ Querystring: { revoked?: string } }>(CONNECTED_APPS_PATH, async (request, reply) => {
    const lang = langOf(request);
    const now = new Date();
    const session = await currentSession(db, sessionKind, cookieKeys, request, now);
    if (!session) return loggedOut(request, reply);
    const customer = await customerById(db, session.customerId);
    return sendPage(
      reply,
      connectedAppsPage({ lang, csrf: sessionCsrf(session), customerName: customer?.name ?? '', apps: await connectedApps(db, session.customerId, now), revoked: request.query.revoked === '1' }),
    );
  });

  app.post<{ Body: Form }>(REVOKE_PATH, async (request, reply) => {
    const session = await sessionForForm(request);
    if (!session) return loggedOut(request, reply);
    const revoked = await revokeConnectedApp(db, provider, session.customerId, field(request.body, 'grantId'));
    if (revoked) request.log.info({ customerId: session.customerId }, 'customer disconnected an app');
    return reply.redirect(`${CONNECTED_APPS_PATH}${langQuery(langOf(request), revoked ? 'revoked=1' : '')}`, 303);
  });

  app.get<{ Querystring: { done?: string } }>(PASSKEYS_PATH, async (request, reply) => {
    const session = await currentSession(db, sessionKind, cookieKeys, request, new Date());
    if (!session) return loggedOut(request, reply);
    const done = request.query.done;
    return showPasskeys(request, reply, session, done === 'added' || done === 'removed' || done === 'failed' ? done : undefined);
  });

  app.post<{ Body: Form }>(PASSKEYS_PATH, async (request, reply) => {
    const session = await sessionForForm(request);
    if (!session) return loggedOut(request, reply);
    const added = await enrolPasskey(db, passkeyParty, session.customerId, enrolBinding(session), field(request.body, 'credential', CREDENTIAL_MAX_LENGTH), field(request.body, 'name'), new Date());
    if (added) await appendAudit(db, 'passkey.added', { customerId: session.customerId, interactionId: request.id });
    return reply.redirect(`${PASSKEYS_PATH}${langQuery(langOf(request), `done=${added ? 'added' : 'failed'}`)}`, 303);
  });

  app.post<{ Body: Form }>(PASSKEY_REMOVE_PATH, async (request, reply) => {
    const session = await sessionForForm(request);
    if (!session) return loggedOut(request, reply);
    const removed = await removePasskey(db, session.customerId, field(request.body, 'credentialId', CREDENTIAL_MAX_LENGTH));
    if (removed) await appendAudit(db, 'passkey.removed', { customerId: session.customerId, interactionId: request.id });
    return reply.redirect(`${PASSKEYS_PATH}${langQuery(langOf(request), removed ? 'done=removed' : '')}`, 303);
  });

  async function showPasskeys(request: FastifyRequest, reply: FastifyReply, session: CustomerSession, notice: PasskeyNotice | undefined) {
    const lang = langOf(request);
    const now = new Date();
    const customer = await customerById(db, session.customerId);
    const enrolOptions = customer && (await registrationOptions(db, passkeyParty, customer, enrolBinding(session), now));
    const csrf = sessionCsrf(session);
    const page = passkeysPage({
      lang,
      csrf,
      passkeys: await passkeysOf(db, session.customerId),
      enrolOptions,
      passkeysMax: PASSKEYS_PER_CUSTOMER_MAX,
      notice,
      headerActions: logoutForm(lang, csrf),
      nav: myNav(lang, PASSKEYS_PATH),
    });
    return sendPage(reply, page, { withScript: enrolOptions !== undefined });
  }

  app.post<{ Body: Form }>(LOGOUT_PATH, async (request, reply) => {
    const session = await sessionForForm(request);
    if (session) await endSession(db, sessionKind, reply, session);
    return reply.redirect(`${LOGIN_PATH}${langQuery(langOf(request))}`, 303);
  });

  /** The live session, when the form's token is the one this session's pages carry. */
  async function sessionForForm(request: FastifyRequest<{ Body: Form }>): Promise<CustomerSession | undefined> {
    const session = await currentSession(db, sessionKind, cookieKeys, request, new Date());
    return session && csrfTokenMatches(cookieKeys, `session:${session.sessionId}`, request.body?.[CSRF_FIELD]) ? session : undefined;
  }

  /** A session that has ended (or never was) sends the customer to log in, saying why when a cookie was there. */
  function loggedOut(request: FastifyRequest, reply: FastifyReply) {
    return showLogin(request, reply, { status: 401, sessionEnded: cookieValue(request, SESSION_COOKIE) !== undefined });
  }

  function showLogin(request: FastifyRequest, reply: FastifyReply, shown: { status: number; loginId?: string; failed?: boolean; throttled?: { until: Date; locked: boolean }; sessionEnded?: boolean }) {
    const formCookie = randomBytes(18).toString('base64url');
    setHostCookie(reply, LOGIN_FORM_COOKIE, formCookie, LOGIN_FORM_SECONDS);
    const { status, ...rest } = shown;
    return sendPage(reply.code(status), customerLoginPage({ lang: langOf(request), csrf: csrfToken(cookieKeys, `login:${formCookie}`), sessionLimits, ...rest }));
  }

  app.setErrorHandler(async (error, request, reply) => {
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'customer page failed');
    return sendPage(reply.code(status), errorPage({ lang: langOf(request), error: status >= 500 ? 'server_error' : 'invalid_request' }));
  });
}

/** The page's language: the form's `lang` field on a POST, the `lang` query parameter otherwise. */
function langOf(request: FastifyRequest): Language {
  return languageOf((request.body as Form | undefined)?.lang, (request.query as { lang?: string } | undefined)?.lang);
}

function langQuery(lang: Language, extra = ''): string {
  const parts = [...(lang === 'en' ? ['lang=en'] : []), ...(extra ? [extra] : [])];
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** A form field as one bounded string: absent, repeated or oversized fields read as empty. */
function field(body: Form | undefined, name: string, maxLength = FIELD_MAX_LENGTH): string {
  const value = body?.[name];
  return typeof value === 'string' && value.length <= maxLength ? value : '';
}

/** A session's enrolment challenges are stored under a hash of its id: the database never holds a usable session id. */
function enrolBinding(session: CustomerSession): string {
  return `enrol:${createHash('sha256').update(session.sessionId).digest('base64url')}`;
}
