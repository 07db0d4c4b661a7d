// How every server-rendered page leaves the bank: HTML, never cached (pages show a customer's accounts and
// grants), under the strict page policy; the other security headers come from the listener (security-headers.ts).
import type { FastifyReply } from 'fastify';
import { PAGE_CONTENT_SECURITY_POLICY, PAGE_WITH_SCRIPT_CONTENT_SECURITY_POLICY } from './security-headers.ts';

/**
 * `withScript`: the page has a passkey form and loads the bank's passkey script (web/passkey-script.ts).
 * `imageSource`: one more place the page's images may come from (a TPP's logo: its https origin or `data:`, tpp/logo.ts).
 */
export function sendPage(reply: FastifyReply, body: string, options: { withScript?: boolean; imageSource?: string } = {}): FastifyReply {
  const scripted = options.withScript ? PAGE_WITH_SCRIPT_CONTENT_SECURITY_POLICY : PAGE_CONTENT_SECURITY_POLICY;
  const policy = options.imageSource ? scripted.replace("img-src 'self'", `img-src 'self' ${options.imageSource}`) : scripted;
  return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', policy).send(body);
}
