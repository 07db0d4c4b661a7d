// The bank app's approvals page on the browser listener, behind the customer's own login (/my: login ID,
// password and one-time code): list the CIBA requests waiting for this customer, approve or deny one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { customerAccounts } from '../bank/accounts.ts';
import type { Db } from '../store/db.ts';
import { CSRF_FIELD, csrfToken, csrfTokenMatches } from '../web/csrf.ts';
import { languageOf } from '../web/layout.ts';
import { sendPage } from '../web/send-page.ts';
import { APPROVALS_PATH } from '../customer/pages.ts';
import { approvalsPage } from './app-page.ts';
import { decide, pendingApprovals, type DecisionOutcome } from './approvals.ts';

export interface AppRoutesOptions {
  provider: Provider;
  db: Db;
  cookieKeys: readonly string[];
  consentDays: number;
  logger: Logger;
  /** The customer's session from the /my login, if any (customer/sessions.ts). */
  sessionOf: (request: FastifyRequest) => Promise<{ sessionId: string; customerId: string } | undefined>;
  /** Where a customer without a session logs in. */
  loginPath: string;
}

type Form = Record<string, string | string[] | undefined>;

const OUTCOMES: readonly DecisionOutcome[] = ['approved', 'denied', 'gone', 'accounts_required'];
/** An auth_req_id as oidc-provider makes them; anything else is no request of ours. */
const AUTH_REQ_ID = /^[A-Za-z0-9_-]{1,128}$/;
const ACCOUNTS_PER_FORM_MAX = 50;

export async function appRoutes(app: FastifyInstance, options: AppRoutesOptions): Promise<void> {
  const { db, cookieKeys, sessionOf, loginPath } = options;
  const csrfFor = (sessionId: string) => csrfToken(cookieKeys, `session:${sessionId}`);

  app.get<{ Querystring: { lang?: string; outcome?: string } }>(APPROVALS_PATH, async (request, reply) => {
    const lang = languageOf(request.query.lang);
    const session = await sessionOf(request);
    if (!session) return toLogin(reply, lang);
    const outcome = OUTCOMES.find((o) => o === request.query.outcome);
    const [pending, accounts] = await Promise.all([pendingApprovals(db, session.customerId), customerAccounts(db, session.customerId)]);
    return sendPage(reply, approvalsPage({ lang, csrf: csrfFor(session.sessionId), pending, accounts, outcome }));
  });

  app.post<{ Params: { authReqId: string }; Body: Form }>(`${APPROVALS_PATH}/:authReqId`, async (request, reply) => {
    const lang = languageOf(request.body?.lang);
    const session = await sessionOf(request);
    if (!session || !csrfTokenMatches(cookieKeys, `session:${session.sessionId}`, request.body?.[CSRF_FIELD])) return toLogin(reply, lang);
    const decision = request.body?.decision;
    if (!AUTH_REQ_ID.test(request.params.authReqId) || (decision !== 'approve' && decision !== 'deny')) {
      return reply.redirect(`${APPROVALS_PATH}?outcome=gone${lang === 'en' ? '&lang=en' : ''}`, 303);
    }
    const accountIds = [request.body?.accountId ?? []].flat().slice(0, ACCOUNTS_PER_FORM_MAX);
    const outcome = await decide(options, session.customerId, request.params.authReqId, decision === 'approve' ? { approve: true, accountIds } : { approve: false });
    return reply.redirect(`${APPROVALS_PATH}?outcome=${outcome}${lang === 'en' ? '&lang=en' : ''}`, 303);
  });

  function toLogin(reply: FastifyReply, lang: string) {
    return reply.redirect(`${loginPath}${lang === 'en' ? '?lang=en' : ''}`, 303);
  }
}
