// How every server-rendered page leaves the bank: HTML, never cached (pages show a customer's accounts and
// grants), under the strict page policy; the other security headers come from the listener (security-headers.ts).
import type { FastifyReply } from 'fastify';
import { PAGE_CONTENT_SECURITY_POLICY } from './security-headers.ts';

/** `imageSource`: one more place the page's images may come from (a TPP's logo: its https origin or `data:`, tpp/logo.ts). */
export function sendPage(reply: FastifyReply, body: string, options: { imageSource?: string } = {}): FastifyReply {
  const policy = options.imageSource ? PAGE_CONTENT_SECURITY_POLICY.replace("img-src 'self'", `img-src 'self' ${options.imageSource}`) : PAGE_CONTENT_SECURITY_POLICY;
  return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', policy).send(body);
}
