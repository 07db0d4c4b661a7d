// The bank APIs as one encapsulated Fastify plugin: its error format, FAPI response headers, the guard
// and the routes apply to its own routes only. The composition root mounts it on the mTLS listener:
//   app.register(bankApiPlugin, { prefix: '/api/v1', db, tokens })
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TRANSACTION_PAGE_SIZE_MAX } from '../bank/accounts.ts';
import type { Db } from '../store/db.ts';
import type { AccessTokenLookup } from './access.ts';
import { accountRoutes } from './accounts.ts';
import { apiErrorHandler, notFound } from './errors.ts';
import { bankApiGuard, type ClientCertificateThumbprintSource, socketCertificateThumbprint } from './guard.ts';

export interface BankApiOptions {
  db: Db;
  tokens: AccessTokenLookup;
  /** Lines per transaction-history page, 1–500 (default 500); smaller in tests to exercise paging. */
  pageSizeLimit?: number;
  /** Where the client certificate comes from; defaults to the TLS connection. */
  clientCertificateThumbprint?: ClientCertificateThumbprintSource;
  /** The bank's clock (baseDate, "today", expiry checks); defaults to the system clock. */
  clock?: () => Date;
}

/** The API takes GET requests only; nothing it accepts needs a body. */
const BODY_LIMIT_BYTES = 1024;
// RFC 4122 textual form; anything else is replaced rather than echoed into our logs and responses.
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** FAPI: echo the client's x-fapi-interaction-id, or make one, on every response; and log with it. */
async function interactionId(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const sent = request.headers['x-fapi-interaction-id'];
  const id = typeof sent === 'string' && UUID_PATTERN.test(sent) ? sent : randomUUID();
  reply.header('x-fapi-interaction-id', id);
  request.log = request.log.child({ interactionId: id });
}

async function responseHeaders(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('content-type', 'application/json; charset=utf-8');
  reply.header('date', new Date().toUTCString());
  // Account data must not sit in shared or browser caches.
  reply.header('cache-control', 'no-store');
}

export const bankApiPlugin: FastifyPluginAsync<BankApiOptions> = async (app, options) => {
  const pageSize = options.pageSizeLimit ?? TRANSACTION_PAGE_SIZE_MAX;
  assert.ok(Number.isSafeInteger(pageSize) && pageSize >= 1 && pageSize <= TRANSACTION_PAGE_SIZE_MAX, `pageSizeLimit must be 1–${TRANSACTION_PAGE_SIZE_MAX}`);
  const clock = options.clock ?? (() => new Date());

  app.decorateRequest('bankAccess', null);
  app.setErrorHandler(apiErrorHandler);
  app.addHook('onRoute', (route) => {
    route.bodyLimit = BODY_LIMIT_BYTES;
  });
  // Order matters: the interaction id first, so that even a refused request carries it.
  app.addHook('onRequest', interactionId);
  app.addHook('onRequest', bankApiGuard({ db: options.db, tokens: options.tokens, clientCertificateThumbprint: options.clientCertificateThumbprint ?? socketCertificateThumbprint, clock }));
  app.addHook('onSend', responseHeaders);
  app.setNotFoundHandler(() => {
    throw notFound();
  });
  await app.register(accountRoutes, { db: options.db, pageSize, clock });
};
