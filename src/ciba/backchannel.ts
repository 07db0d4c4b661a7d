// CIBA (OpenID Connect Client-Initiated Backchannel Authentication) under the FAPI-CIBA profile: a TPP asks
// at the backchannel authentication endpoint (mTLS listener) with a signed request naming the customer by
// login ID and a binding message; the customer decides in the bank's app (approvals.ts, app-routes.ts); the
// TPP polls the token endpoint, or is pinged first. oidc-provider serves the protocol (`features.ciba`); this
// is the bank's part: whom a login hint names, what a binding message may be, the approval the app lists,
// and the poll interval, which oidc-provider leaves to the deployment.
import Provider, { errors, type Configuration } from 'oidc-provider';
import { sql } from 'kysely';
import { customerByLoginId } from '../bank/customers.ts';
import type { Db } from '../store/db.ts';

type Features = NonNullable<Configuration['features']>;

/** CIBA §7.3: the client waits this long between polls; faster is answered `slow_down`. */
export const POLL_INTERVAL_SECONDS = 5;
/** Short enough to read at a glance on the other device and compare (CIBA §7.1). */
const BINDING_MESSAGE_MAX_CHARS = 40;
/** Printable text only: no control or format characters that could hide what is shown. */
const BINDING_MESSAGE = new RegExp(`^[^\\p{Cc}\\p{Cf}]{1,${BINDING_MESSAGE_MAX_CHARS}}$`, 'u');

export function cibaFeature(db: Db): Pick<Features, 'ciba'> {
  return {
    ciba: {
      enabled: true,
      // FAPI-CIBA 5.2.2-2: poll and ping; never push, which would send tokens to a URL.
      deliveryModes: ['poll', 'ping'],
      // The customer's login ID; an unknown one is `unknown_user_id` (oidc-provider's answer to no account).
      processLoginHint: async (_ctx, loginHint) => (loginHint ? (await customerByLoginId(db, loginHint))?.customerId : undefined),
      processLoginHintToken: () => {
        throw new errors.InvalidRequest('login_hint_token is not supported: name the customer with login_hint (their login ID)');
      },
      // FAPI-CIBA 5.2.2-5: the binding message lets the customer tie the request to what the TPP's app shows.
      validateBindingMessage: (_ctx, bindingMessage) => {
        if (typeof bindingMessage !== 'string' || !BINDING_MESSAGE.test(bindingMessage)) {
          throw new errors.InvalidBindingMessage(`binding_message is required: printable text of 1 to ${BINDING_MESSAGE_MAX_CHARS} characters`);
        }
      },
      validateRequestContext: () => undefined,
      verifyUserCode: (ctx) => {
        if (ctx.oidc.params?.user_code !== undefined) throw new errors.InvalidRequest('user_code is not supported: the customer logs in to the bank app');
      },
      triggerAuthenticationDevice: async (_ctx, request, account, client) => {
        await db
          .insertInto('backchannel_approvals')
          .values({
            auth_req_id: String(request.jti),
            customer_id: account.accountId,
            client_id: client.clientId,
            scopes: String(request.scope),
            binding_message: String(request.params?.binding_message),
            // `expiration`: the seconds the saved request lives (requested_expiry or the default).
            expires_at: new Date(Date.now() + Number(request.expiration) * 1000),
          })
          .execute();
      },
    },
  };
}

/**
 * The poll interval (CIBA §7.3, §11). oidc-provider's token endpoint loads the request through the adapter
 * and has no hook before it answers `authorization_pending`, so the adapter calls this when the token
 * endpoint (and only it) loads a backchannel request: a poll sooner than the interval after the last one is
 * `slow_down`. Measured in the database, so every node agrees; a poll for another TPP's request is left to
 * oidc-provider's own `client mismatch`.
 */
export function pollIntervalGate(db: Db): (authReqId: string) => Promise<void> {
  return async (authReqId) => {
    const ctx = Provider.ctx;
    const clientId = ctx?.oidc?.client?.clientId;
    if (ctx?.oidc?.route !== 'token' || clientId === undefined) return;
    const ownRequest = db.selectFrom('backchannel_approvals').where('auth_req_id', '=', authReqId).where('client_id', '=', clientId);
    const polled = await db
      .updateTable('backchannel_approvals')
      .set({ last_polled_at: sql<Date>`now()` })
      .where('auth_req_id', '=', authReqId)
      .where('client_id', '=', clientId)
      .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb('last_polled_at', '<=', sql<Date>`now() - make_interval(secs => ${POLL_INTERVAL_SECONDS})`)]))
      .returning('auth_req_id')
      .executeTakeFirst();
    if (!polled && (await ownRequest.select('auth_req_id').executeTakeFirst())) {
      throw new errors.SlowDown(`poll at most every ${POLL_INTERVAL_SECONDS} seconds (interval)`);
    }
  };
}

/** CIBA §7.3: the authentication response names the poll interval (oidc-provider leaves it out). */
export function announcePollInterval(path: string) {
  return async (ctx: { method: string; path: string; status: number; body: unknown }, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.method === 'POST' && ctx.path === path && ctx.status === 200 && typeof ctx.body === 'object' && ctx.body !== null) {
      Object.assign(ctx.body, { interval: POLL_INTERVAL_SECONDS });
    }
  };
}
