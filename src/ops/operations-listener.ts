// The optional operations listener (GINKO_METRICS_PORT): /metrics for Prometheus, and /healthz and
// /readyz again. Plain HTTP on an interface the operator chooses (loopback by default), apart from
// the two public listeners: per-TPP traffic is the bank's business, not the internet's, and a
// scraper inside the cluster network needs neither a client certificate nor a token.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { healthRoutes } from './health.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { BankMetrics } from './metrics.ts';

export const METRICS_PATH = '/metrics';

/** Scrapes and probes send no bodies and come from a handful of clients. */
const LIMITS = { bodyBytes: 1024, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 } as const;

export interface OperationsListenerOptions {
  db: Db;
  lifecycle: Lifecycle;
  metrics: BankMetrics;
  logger: FastifyBaseLogger;
}

export async function createOperationsListener({ db, lifecycle, metrics, logger }: OperationsListenerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    // Scrapes every few seconds would drown the request log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.bodyBytes,
    requestTimeout: LIMITS.requestTimeoutMs,
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    return503OnClosing: true,
  });
  await app.register(healthRoutes, { db, lifecycle });
  app.get(METRICS_PATH, async (_request, reply) => {
    const { contentType, text } = await metrics.exposition();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(text);
  });
  return app as unknown as FastifyInstance;
}
