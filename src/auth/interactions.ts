// Login and consent: the Fastify routes behind oidc-provider's interaction URL. Each handler reads
// the pending interaction, does one step, and hands the result back to oidc-provider, which
// redirects the browser on to the TPP (or back here for the next prompt).
import assert from 'node:assert/strict';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { Db } from '../store/db.ts';
import { appendAudit } from '../security/audit-log.ts';
import { accountLabel, customerAccounts } from '../bank/accounts.ts';
import { jstDate } from '../bank/jst.ts';
import { verifyAndConsumeTotp } from '../bank/customer-totp.ts';
import { approveTransfer, recordWrongCode, rejectTransfer } from '../bank/transfers/authorise.ts';
import { TransferRefusedError } from '../bank/transfers/model.ts';
import { DEFAULT_TRANSFER_POLICY, type TransferPolicy } from '../bank/transfers/policy.ts';
import { languageOf, type Language } from '../web/layout.ts';
import { CSRF_FIELD, csrfToken, csrfTokenMatches } from '../web/csrf.ts';
import { sendPage } from '../web/send-page.ts';
import { recordConsent } from './consents.ts';
import { tppShownToCustomers } from '../tpp/registry.ts';
import { logoImageSource } from '../tpp/logo.ts';
import { consentPage, errorPage, loginPage, type AccountChoice, type LoginProblem } from './pages.ts';
import { essentialAcrs, loginResult, methodAllowed } from './acr.ts';
import { authenticationOptions, verifyPasskey, type PasskeyParty } from '../customer/passkeys.ts';
import { passkeyLogin, passwordAndCodeLogin, type LoginDeps } from '../customer/login.ts';
import { SCOPES, ACCOUNTS_SCOPE, TRANSFERS_SCOPE } from './scopes.ts';
import { grantedTransferDetails, transferDetailsOf, transferToApprove } from './transfer-approval.ts';
import { transferApprovalPage } from './transfer-page.ts';

export interface InteractionOptions {
  provider: Provider;
  db: Db;
  consentDays: number;
  /** The bank's cookie keys, which also sign the forms' CSRF tokens. */
  cookieKeys: readonly string[];
  /** Transfer rules (wrong one-time codes allowed); defaults to the sandbox's. */
  transferPolicy?: TransferPolicy;
  /** The customer's login: passkeys for this origin, and the password fallback's back-off and lock. */
  passkeyParty: PasskeyParty;
  login: Omit<LoginDeps, 'db'>;
}

type Params = { uid: string };
type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
type Form = Record<string, string | string[] | undefined>;

/** Login IDs and passwords longer than this are refused before any work is done. */
const MAX_CREDENTIAL_LENGTH = 128;

/**
 * The login result carries the language the customer chose on the login page: oidc-provider hands it to the
 * next interaction (consent, approval) as `lastSubmission`, whose URL has no `?lang`.
 */
const LANGUAGE_KEY = 'ginkoLanguage';

/** Every page lives under this prefix; anything else below it gets the HTML 404 page. */
export const INTERACTION_PREFIX = '/interaction';

export async function interactionRoutes(app: FastifyInstance, options: InteractionOptions): Promise<void> {
  await app.register(interactionPages, { ...options, prefix: INTERACTION_PREFIX });
}

async function interactionPages(app: FastifyInstance, { provider, db, consentDays, cookieKeys, transferPolicy = DEFAULT_TRANSFER_POLICY, passkeyParty, login }: InteractionOptions): Promise<void> {
  const loginDeps: LoginDeps = { db, ...login };
  const consentMs = consentDays * 24 * 3600 * 1000;
  /** The forms of an interaction carry a token bound to its uid, checked before any POST does anything. */
  const csrfFor = (uid: string) => csrfToken(cookieKeys, `interaction:${uid}`);
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return;
    const uid = (request.params as Partial<Params> | undefined)?.uid ?? '';
    if (!csrfTokenMatches(cookieKeys, `interaction:${uid}`, (request.body as Form | undefined)?.[CSRF_FIELD])) {
      throw new errors.InvalidRequest('the form was not one this bank showed for this sign-in; go back to the app and start again');
    }
  });

  /**
   * The pending interaction of this browser (from its interaction cookie), which must be the one the
   * URL names: a page of one interaction never acts on another.
   */
  async function pendingInteraction(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
    const details = await provider.interactionDetails(request.raw, reply.raw);
    if (details.uid !== request.params.uid) throw new errors.SessionNotFound('this interaction is not the one in progress in this browser');
    return details;
  }

  app.get<{ Params: Params; Querystring: { lang?: string } }>('/:uid', async (request, reply) => {
    const details = await pendingInteraction(request, reply);
    const lang = languageOf(request.query.lang, details.lastSubmission?.[LANGUAGE_KEY], details.params.ui_locales);
    if (details.prompt.name === 'login') return showLogin(reply, details, lang, 200, {});
    const tppName = await tppNameOf(provider, details.params.client_id);
    if (transferDetailsOf(details.params.authorization_details)) return sendTransferApproval(reply, details, lang, tppName, false);
    return sendConsent(reply, details, lang, tppName, false);
  });

  app.post<{ Params: Params; Body: Form }>('/:uid/login', async (request, reply) => {
    const details = await pendingInteraction(request, reply);
    const lang = languageOf(field(request.body, 'lang'));
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
    if (!methodAllowed('password-and-code', essentialAcrs(details.params.claims))) throw new errors.InvalidRequest('this app requires a passkey login');
    const loginId = field(request.body, 'loginId') ?? '';
    const password = field(request.body, 'password') ?? '';
    if (loginId.length > MAX_CREDENTIAL_LENGTH || password.length > MAX_CREDENTIAL_LENGTH) return showLogin(reply, details, lang, 401, { problem: { kind: 'credentials' } });
    const outcome = await passwordAndCodeLogin(loginDeps, { loginId, password, code: field(request.body, 'totp') ?? '' }, loginContext(details, request.id), new Date());
    if (!outcome.ok) {
      const problem: LoginProblem = outcome.retryAfter ? { kind: 'throttled', until: outcome.retryAfter, locked: outcome.locked } : { kind: 'credentials' };
      return showLogin(reply, details, lang, outcome.retryAfter ? 429 : 401, { problem, loginId });
    }
    return finish(reply, details, { login: loginResult(outcome.customer.customerId, { kind: 'password-and-code' }), [LANGUAGE_KEY]: lang });
  });

  app.post<{ Params: Params; Body: Form }>('/:uid/passkey', async (request, reply) => {
    const details = await pendingInteraction(request, reply);
    const lang = languageOf(field(request.body, 'lang'));
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
    if (!methodAllowed('passkey', essentialAcrs(details.params.claims))) throw new errors.InvalidRequest('this app does not accept a passkey login');
    const use = await passkeyLogin(db, passkeyParty, `login:${details.uid}`, field(request.body, 'credential') ?? '', loginContext(details, request.id), new Date());
    if (!use) return showLogin(reply, details, lang, 401, { problem: { kind: 'passkey' } });
    return finish(reply, details, { login: loginResult(use.customerId, { kind: 'passkey', backedUp: use.backedUp }), [LANGUAGE_KEY]: lang });
  });

  app.post<{ Params: Params; Body: Form }>('/:uid/consent', async (request, reply) => {
    const details = await pendingInteraction(request, reply);
    const lang = languageOf(field(request.body, 'lang'));
    if (details.prompt.name !== 'consent' || !details.session) throw new errors.InvalidRequest('this interaction is not waiting for consent');
    // A transfer is approved only on its own page, with the second factor.
    if (details.params.authorization_details !== undefined) throw new errors.InvalidRequest('this interaction is a transfer approval');
    const customerId = details.session.accountId;
    const clientId = String(details.params.client_id);
    const scopes = requestedScopes(details.params.scope);
    const offered = await customerAccounts(db, customerId);
    const chosen = new Set(fields(request.body, 'accountId'));
    const accountIds = offered.map((a) => a.accountId).filter((id) => chosen.has(id));
    if ((scopes.includes(ACCOUNTS_SCOPE) || scopes.includes(TRANSFERS_SCOPE)) && accountIds.length === 0) {
      const tppName = await tppNameOf(provider, clientId);
      return sendConsent(reply.code(400), details, lang, tppName, true);
    }
    const grant = new provider.Grant({ accountId: customerId, clientId });
    grant.addOIDCScope(scopes.join(' '));
    // The grant and its consent side by side (two commits at once, not one after the other); save() names the
    // grant before it writes. The interaction is told only once both are in.
    const saving = grant.save();
    const grantId = grant.jti;
    assert.ok(grantId, 'the grant is named when its save begins');
    await Promise.all([saving, recordConsent(db, { grantId, customerId, clientId, scopes, accountIds, expiresAt: new Date(Date.now() + consentMs) })]);
    return finish(reply, details, { consent: { grantId } });
  });

  app.post<{ Params: Params; Body: Form }>('/:uid/approve-transfer', async (request, reply) => {
    const details = await pendingInteraction(request, reply);
    const lang = languageOf(field(request.body, 'lang'));
    const requested = transferDetailsOf(details.params.authorization_details);
    if (details.prompt.name !== 'consent' || !details.session || !requested) throw new errors.InvalidRequest('this interaction is not waiting for a transfer approval');
    const party = { applyNo: requested.applyNo, clientId: String(details.params.client_id), customerId: details.session.accountId };
    const now = new Date();
    if (!(await secondFactorVerified(request.body, details.uid, party.customerId, now))) {
      const stillAwaiting = await transferRefusalAsError(() => recordWrongCode(db, party, transferPolicy.totpAttemptsMax, now));
      if (stillAwaiting === true) {
        const tppName = await tppNameOf(provider, party.clientId);
        return sendTransferApproval(reply.code(401), details, lang, tppName, true);
      }
      return finish(reply, details, stillAwaiting === false ? { error: 'access_denied', error_description: 'too many wrong one-time codes: the transfer was rejected' } : stillAwaiting);
    }
    const outcome = await transferRefusalAsError(() => approveTransfer(db, party, now, transferPolicy));
    if (typeof outcome !== 'string') return finish(reply, details, outcome);
    // The approval grants nothing that lasts: an ID token for this login, no account access.
    const grant = new provider.Grant({ accountId: party.customerId, clientId: party.clientId });
    grant.addOIDCScope('openid');
    // RFC 9396: the token response names what was approved (transfer-approval.ts).
    grant.addRar(grantedTransferDetails(requested));
    const grantId = await grant.save();
    await recordConsent(db, { grantId, customerId: party.customerId, clientId: party.clientId, scopes: ['openid'], accountIds: [], expiresAt: new Date(now.getTime() + consentMs) });
    return finish(reply, details, { consent: { grantId } });
  });

  app.post<{ Params: Params }>('/:uid/refuse', async (request, reply) => {
    const details = await pendingInteraction(request, reply);
    const requested = transferDetailsOf(details.params.authorization_details);
    if (requested && details.session) {
      // Refusing a transfer ends it (差戻); an error here must not keep the customer from leaving.
      await transferRefusalAsError(() => rejectTransfer(db, { applyNo: requested.applyNo, clientId: String(details.params.client_id), customerId: details.session!.accountId }, new Date()));
    }
    await appendAudit(db, 'consent.refused', { clientId: String(details.params.client_id), customerId: details.session?.accountId, applyNo: requested?.applyNo, interactionId: request.id });
    return finish(reply, details, { error: 'access_denied', error_description: 'the customer refused the request' });
  });

  app.setErrorHandler(async (error, request, reply) => {
    const lang = languageOf((request.query as { lang?: string } | undefined)?.lang);
    if (error instanceof errors.OIDCProviderError) {
      return sendPage(reply.code(error.statusCode), errorPage({ lang, error: error.error, description: error.error_description }));
    }
    if (typeof (error as { statusCode?: unknown }).statusCode === 'number' && (error as { statusCode: number }).statusCode < 500) {
      return sendPage(reply.code((error as { statusCode: number }).statusCode), errorPage({ lang, error: 'invalid_request', description: (error as Error).message }));
    }
    request.log.error({ err: error }, 'interaction failed');
    return sendPage(reply.code(500), errorPage({ lang, error: 'server_error' }));
  });

  // Any other path or method under the prefix: the same error page, not Fastify's JSON 404.
  app.setNotFoundHandler(async (request, reply) => {
    const lang = languageOf((request.query as { lang?: string } | undefined)?.lang);
    return sendPage(reply.code(404), errorPage({ lang, error: 'invalid_request', description: 'there is no such page' }));
  });

  /** The consent page, with the TPP's registration number and logo when it has them (and the logo's origin in img-src). */
  async function sendConsent(
    reply: FastifyReply,
    details: Awaited<ReturnType<Provider['interactionDetails']>>,
    lang: Language,
    tppName: string,
    missingAccount: boolean,
  ): Promise<FastifyReply> {
    const customerId = details.session?.accountId ?? '';
    const tpp = await tppShownToCustomers(db, String(details.params.client_id));
    const accounts: AccountChoice[] = (await customerAccounts(db, customerId)).map((a) => ({
      accountId: a.accountId,
      label: accountLabel(a),
    }));
    const page = consentPage({
      lang,
      uid: details.uid,
      csrf: csrfFor(details.uid),
      tppName,
      tppRegistrationNumber: tpp.registrationNumber,
      tppLogoUri: tpp.logoUri,
      scopes: requestedScopes(details.params.scope),
      accounts,
      expiresOn: jstDate(new Date(Date.now() + consentMs)),
      missingAccount,
    });
    return sendPage(reply, page, tpp.logoUri ? { imageSource: logoImageSource(tpp.logoUri) } : {});
  }

  /** The login page, with a fresh passkey challenge for this interaction unless the TPP requires another level. */
  async function showLogin(reply: FastifyReply, details: Interaction, lang: Language, status: number, shown: { problem?: LoginProblem; loginId?: string }) {
    const essential = essentialAcrs(details.params.claims);
    const passkeyOptions = methodAllowed('passkey', essential) ? await authenticationOptions(db, passkeyParty, `login:${details.uid}`, undefined, new Date()) : undefined;
    const page = loginPage({
      lang,
      uid: details.uid,
      csrf: csrfFor(details.uid),
      tppName: await tppNameOf(provider, details.params.client_id),
      forTransfer: details.params.authorization_details !== undefined,
      passkeyOptions,
      passwordAllowed: methodAllowed('password-and-code', essential),
      problem: shown.problem,
      loginId: shown.loginId?.slice(0, MAX_CREDENTIAL_LENGTH),
    });
    return sendPage(reply.code(status), page, { withScript: passkeyOptions !== undefined });
  }

  /** Ids only: the login ID typed is not kept (a mistyped one may be someone else's). */
  function loginContext(details: Interaction, interactionId: string) {
    return { clientId: String(details.params.client_id), interactionId };
  }

  /** The approval's second factor: the customer's passkey when the form carries its answer, else the one-time code. */
  async function secondFactorVerified(body: Form | undefined, uid: string, customerId: string, now: Date): Promise<boolean> {
    const credential = field(body, 'credential');
    if (credential) return (await verifyPasskey(db, passkeyParty, `approve:${uid}`, credential, now))?.customerId === customerId;
    return verifyAndConsumeTotp(db, customerId, (field(body, 'totp') ?? '').slice(0, 16), now);
  }

  async function sendTransferApproval(reply: FastifyReply, details: Interaction, lang: Language, tppName: string, wrongCode: boolean) {
    const requested = transferDetailsOf(details.params.authorization_details)!;
    const transfer = await transferToApprove(db, requested, String(details.params.client_id), new Date());
    const customerId = details.session?.accountId ?? '';
    // Only the customer whose account the transfer debits may see it.
    if (transfer.customer_id !== customerId) throw new errors.AccessDenied('the transfer debits another customer’s account');
    const [account] = await customerAccounts(db, customerId, [transfer.account_id]);
    // A passkey of this customer's only, and only for this interaction.
    const passkeyOptions = await authenticationOptions(db, passkeyParty, `approve:${details.uid}`, customerId, new Date());
    const page = transferApprovalPage({
      lang,
      uid: details.uid,
      csrf: csrfFor(details.uid),
      tppName,
      wrongCode,
      passkeyOptions,
      transfer: {
        applyNo: transfer.apply_no,
        amountYen: transfer.transfer_amount_yen,
        feeYen: transfer.fee_yen,
        debitAccountLabel: account ? accountLabel(account) : transfer.account_id,
        remitterName: transfer.remitter_name,
        beneficiaryBankCode: transfer.beneficiary_bank_code,
        beneficiaryBankName: transfer.beneficiary_bank_name,
        beneficiaryBranchCode: transfer.beneficiary_branch_code,
        beneficiaryBranchName: transfer.beneficiary_branch_name,
        beneficiaryAccountType: transfer.beneficiary_account_type,
        beneficiaryAccountNumber: transfer.beneficiary_account_number,
        beneficiaryName: transfer.beneficiary_name,
        designatedDate: transfer.designated_date,
        executionDate: transfer.execution_date,
      },
    });
    return sendPage(reply, page, { withScript: passkeyOptions !== undefined });
  }

  /**
   * What oidc-provider's interactionFinished does (mergeWithLastSubmission false), on the interaction this
   * request already loaded and checked (pendingInteraction): the result kept on it, then a 303 back to the
   * authorization endpoint, which checks the interaction and its session again. Calling interactionFinished
   * would read the interaction and its session a second time in this request.
   */
  async function finish(reply: FastifyReply, interaction: Interaction, result: InteractionResults): Promise<void> {
    interaction.result = result;
    await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
    return reply.code(303).header('location', interaction.returnTo).send();
  }
}

/** A transfer that can no longer be approved ends the authorization with access_denied for the TPP. */
async function transferRefusalAsError<T>(work: () => Promise<T>): Promise<T | InteractionResults> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TransferRefusedError) return { error: 'access_denied', error_description: error.message };
    throw error;
  }
}

/** Only scopes the bank knows are ever granted, in the order the bank lists them. */
function requestedScopes(scope: unknown): string[] {
  const requested = new Set(String(scope ?? '').split(' '));
  return [...SCOPES.keys()].filter((s) => requested.has(s));
}

async function tppNameOf(provider: Provider, clientId: unknown): Promise<string> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  return client?.clientName ?? String(clientId);
}

function field(body: Form | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' ? value : undefined;
}

function fields(body: Form | undefined, name: string): string[] {
  const value = body?.[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}
