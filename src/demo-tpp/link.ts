// Linking the customer's bank account, and coming back from the bank: POST /link sends the browser to the bank
// (PAR + signed request object), GET /callback receives the JARM response for a link or a transfer approval,
// POST /unlink gives the grant back (RFC 7009 revocation) and forgets the tokens.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthorizationRefused, type BankClient } from './bank-client.ts';
import { DEMO_CALLBACK_PATH } from './registration.ts';
import { forgetLink, PENDING_MS } from './sessions.ts';

/**
 * What the demo asks the customer to grant: account information, transfer requests (each still approved at the
 * bank) and a refresh token so the app keeps working for the consent's lifetime.
 */
export const LINK_SCOPE = 'openid accounts transfers offline_access';

export interface LinkRoutesOptions {
  client: BankClient;
  publicUrl: string;
}

export async function linkRoutes(app: FastifyInstance, { client, publicUrl }: LinkRoutesOptions): Promise<void> {
  app.post('/link', async (request, reply) => {
    const { url, pending } = await client.authorizationUrl({ scope: LINK_SCOPE, uiLocales: request.demoSession.lang });
    request.demoSession.pending = { ...pending, kind: 'link', startedAtMs: Date.now() };
    return reply.redirect(url.href, 303);
  });

  app.get(DEMO_CALLBACK_PATH, async (request, reply) => {
    const session = request.demoSession;
    const pending = session.pending;
    // Used once: a reloaded or replayed callback finds nothing pending.
    session.pending = undefined;
    if (!pending || Date.now() - pending.startedAtMs > PENDING_MS) {
      session.notice = 'expired';
      return reply.redirect('/', 303);
    }
    if (pending.kind === 'transfer') session.lastTransfer = { applyNo: pending.applyNo, accountId: pending.accountId };
    try {
      const tokens = await client.finishAuthorization(callbackUrl(request, publicUrl), pending);
      // The approval's own token (scope openid) is not kept: the link's tokens read the result.
      if (pending.kind === 'transfer') return reply.redirect('/send/result', 303);
      app.renewDemoSession(request, reply);
      request.demoSession.link = { ...tokens, linkedAtMs: Date.now() };
      request.demoSession.notice = 'linked';
    } catch (error) {
      // The bank said no (an OAuth error in the signed response), or the response is not one to trust: a forged
      // or replayed JARM, another state, a failed code exchange. Either way nothing is linked.
      request.log.warn({ err: error }, 'the authorization did not complete');
      if (pending.kind === 'transfer') return reply.redirect('/send/result', 303);
      session.notice = error instanceof AuthorizationRefused && error.error === 'access_denied' ? 'refused' : 'failed';
    }
    return reply.redirect('/', 303);
  });

  app.post('/unlink', async (request, reply) => {
    const link = request.demoSession.link;
    // Revoking the refresh token ends the whole grant at the bank; the access token dies with it.
    if (link) await client.revoke(link.refreshToken ?? link.accessToken).catch((error: unknown) => request.log.warn({ err: error }, 'revocation failed'));
    forgetLink(request.demoSession, 'unlinked');
    return reply.redirect('/', 303);
  });
}

/** The URL the bank redirected the browser to, as the demo's public origin names it. */
function callbackUrl(request: FastifyRequest, publicUrl: string): URL {
  return new URL(request.url, publicUrl);
}
