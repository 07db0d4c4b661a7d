// Headers every response of the browser listener carries, pages or not: the pages are a bank's, so they are never
// framed (clickjacking), never sniffed into another type, never leak their URL (interaction ids, query) to another
// site, and are reached over HTTPS only from the first visit on.
import type { FastifyInstance } from 'fastify';

/** Two years, the HSTS preload list's minimum being one. */
const HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600;

/**
 * No script at all; style from the bank's own style sheet only; forms post to the bank, and a form's redirect may
 * continue to a TPP's HTTPS redirect URI (Chromium applies form-action to the redirects after a submission).
 */
export const PAGE_CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'";

/** The same for the pages with a passkey form: scripts from the bank's own files only (web/passkey-script.ts), never inline. */
export const PAGE_WITH_SCRIPT_CONTENT_SECURITY_POLICY = PAGE_CONTENT_SECURITY_POLICY.replace("default-src 'none';", "default-src 'none'; script-src 'self';");

const HEADERS: Record<string, string> = {
  'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Only framing here: oidc-provider's own pages (form_post) carry an inline script it hashes into a script-src
  // it finds; the bank's pages get the whole policy from sendPage.
  'content-security-policy': "frame-ancestors 'none'",
};

/**
 * Set on the raw response at the start of every request, so they also reach the responses oidc-provider writes
 * itself (authorization endpoint, discovery); a handler may still replace one it must (oidc-provider's own pages).
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    for (const [name, value] of Object.entries(HEADERS)) reply.raw.setHeader(name, value);
  });
}
