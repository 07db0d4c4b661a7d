// Health endpoints for orchestrators and balancers, on every listener:
//   /healthz  the process is alive and serving HTTP (restart it if not);
//   /readyz   the node can serve: its store answers and it is not shutting down (route traffic to it).
// Neither needs a client certificate or a token, and neither says more than its status.
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Lifecycle } from './lifecycle.ts';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

/** A store slower than this is as good as unreachable to a balancer deciding where to send traffic. */
const STORE_PING_TIMEOUT_MS = 2_000;

export interface HealthOptions {
  db: Db;
  lifecycle: Lifecycle;
}

export async function healthRoutes(app: FastifyInstance, { db, lifecycle }: HealthOptions): Promise<void> {
  app.get(HEALTH_PATH, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get(READY_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (lifecycle.closing) return reply.code(503).send({ status: 'closing' });
    try {
      await withTimeout(sql`select 1`.execute(db), STORE_PING_TIMEOUT_MS);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the store does not answer');
      return reply.code(503).send({ status: 'store unreachable' });
    }
    return reply.send({ status: 'ready' });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
