// How every server-rendered page leaves the bank: HTML, never cached (pages show a customer's accounts and
// grants), under the strict page policy; the other security headers come from the listener (security-headers.ts).
import type { FastifyReply } from 'fastify';
import { PAGE_CONTENT_SECURITY_POLICY } from './security-headers.ts';

export function sendPage(reply: FastifyReply, body: string): FastifyReply {
  return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY).send(body);
}
