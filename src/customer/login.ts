// The two ways a customer logs in, wherever they do (a linking's login page, the customer's own pages): a
// passkey, or the fallback of login ID, password and the authenticator app's one-time code. Both end in the
// audit log; the fallback goes through the per-login-ID back-off and lock (security/login-throttle.ts).
import type { Db } from '../store/db.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { customerByLoginId, verifyCustomerLogin, type Customer } from '../bank/customers.ts';
import { verifyAndConsumeTotp } from '../bank/customer-totp.ts';
import { appendAudit } from '../security/audit-log.ts';
import type { SecurityEvents } from '../security/security-events.ts';
import { clearLoginFailures, loginGate, recordLoginFailure, type LoginThrottlePolicy } from '../security/login-throttle.ts';
import { verifyPasskey, type PasskeyParty, type PasskeyUse } from './passkeys.ts';

export interface LoginDeps {
  db: Db;
  throttle: LoginThrottlePolicy;
  securityEvents: SecurityEvents;
}

/** Where the login happens, for the audit log: ids only (the login ID typed is never kept). */
export interface LoginContext {
  interactionId: string;
  /** The TPP whose linking this login is part of. */
  clientId?: string;
}

export type PasswordLoginOutcome = { ok: true; customer: Customer } | { ok: false; retryAfter: Date | undefined; locked: boolean };

/** Longest one-time code looked at (the form asks for 6 digits). */
const CODE_MAX_LENGTH = 16;

export async function passwordAndCodeLogin(
  deps: LoginDeps,
  attempt: { loginId: string; password: string; code: string },
  context: LoginContext,
  now: Date,
): Promise<PasswordLoginOutcome> {
  const { db, throttle } = deps;
  const gate = await loginGate(db, attempt.loginId, throttle, now);
  if (!gate.open) {
    // Refused before the password is looked at: waiting out the delay is the only way on.
    await appendAudit(db, 'login.failed', { ...context, reason: gate.locked ? 'locked' : 'backoff' });
    return { ok: false, retryAfter: gate.until, locked: gate.locked };
  }
  const customer = await verifyCustomerLogin(db, attempt.loginId, attempt.password);
  // The code is checked only after the password, so it says nothing about an unknown login ID.
  if (customer && (await verifyAndConsumeTotp(db, customer.customerId, attempt.code.slice(0, CODE_MAX_LENGTH), now))) {
    await clearLoginFailures(db, attempt.loginId);
    await appendAudit(db, 'login.succeeded', { ...context, customerId: customer.customerId, method: 'password-and-code' });
    return { ok: true, customer };
  }
  // The delay runs from the end of the failed attempt (its password hashing takes a while).
  const { failures, lockedUntil } = await recordLoginFailure(db, attempt.loginId, throttle, new Date());
  await appendAudit(db, 'login.failed', { ...context, reason: 'credentials', failures });
  if (lockedUntil && failures === throttle.lockAfterFailures) {
    // For operators: which customer is being guessed at, when the login ID is one.
    const target = await customerByLoginId(db, attempt.loginId);
    await deps.securityEvents.record({
      kind: 'login_locked',
      customerId: target?.customerId,
      clientId: context.clientId,
      interactionId: context.interactionId,
      detail: `${failures} failed logins in a row; locked until ${lockedUntil.toISOString()}`,
    });
  }
  return { ok: false, retryAfter: lockedUntil, locked: lockedUntil !== undefined };
}

/** The customer whose passkey answered the challenge stored under `binding`; audited either way. */
export async function passkeyLogin(db: Db, party: PasskeyParty, binding: string, response: string, context: LoginContext, now: Date): Promise<PasskeyUse | undefined> {
  // One transaction, so one commit: the challenge taken, the counter moved on and the entry appended (the
  // passkey's row before the audit chain's head, the order every writer keeps).
  return inTransaction(db, async (trx) => {
    const use = await verifyPasskey(trx, party, binding, response, now);
    await appendAudit(trx, use ? 'login.succeeded' : 'login.failed', { ...context, customerId: use?.customerId, method: 'passkey', ...(use ? {} : { reason: 'passkey' }) });
    return use;
  });
}
