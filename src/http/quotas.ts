// Request quotas per TPP and per source address, checked in an onRequest hook that runs before the
// authorization server's middleware (which answers PAR and token itself) and before the API guard
// (which costs the store a round trip), so a refused request costs the bank one counter step.
//   PAR, token (and the other TPP endpoints), bank APIs: per TPP (config/floods.ts, overridable per
//   client_id) and per source address; customer pages (authorization, login, consent, /my): per address.
// Over quota: 429 with Retry-After, the API's error body on /api, an OAuth-style body elsewhere.
import type { BlockList } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { QuotaEndpoint, QuotaPolicy } from '../config/floods.ts';
import { OIDC_ROUTES, pathMatches } from '../auth/routes.ts';
import { tooManyRequests } from '../api/errors.ts';
import type { BankMetrics, ListenerName } from '../ops/metrics.ts';
import type { SecurityEvents } from '../security/security-events.ts';
import type { QuotaCounters } from './quota-counters.ts';
import type { TppIdentities } from './quota-identities.ts';
import { isTrustedProxy } from './trusted-proxies.ts';

export interface QuotaOptions {
  policy: QuotaPolicy;
  counters: QuotaCounters;
  identities: TppIdentities;
  /** Requests from a front proxy carry the proxy's address, shared by every client: only TPP quotas apply. */
  trustedProxies: BlockList;
  /** Where each endpoint lives: the bank APIs' prefix and the customer pages' prefixes. */
  apiPrefix: string;
  pagePrefixes: readonly string[];
  metrics: Pick<BankMetrics, 'countThrottled'>;
  securityEvents: Pick<SecurityEvents, 'recordInBackground'>;
  logger: Logger;
}

/**
 * A client that sends this many times its quota in one window is flooding, not bursting: a TPP's
 * flood is a security event, an address's a warning line. Counts only grow, so each happens once a
 * window (across all nodes, when they share Redis).
 */
const FLOOD_FACTOR = 2;

/** Every other endpoint a TPP's server calls, dynamic registration included (counted per address until a TPP is known). */
const TOKEN_PATHS = [OIDC_ROUTES.token, OIDC_ROUTES.revocation, OIDC_ROUTES.introspection, OIDC_ROUTES.userinfo, OIDC_ROUTES.registration, OIDC_ROUTES.backchannel_authentication];

function endpointOf(listener: ListenerName, path: string, options: QuotaOptions): QuotaEndpoint | undefined {
  if (listener === 'browser') {
    return [OIDC_ROUTES.authorization, ...options.pagePrefixes].some((prefix) => pathMatches(path, prefix)) ? 'browser' : undefined;
  }
  if (pathMatches(path, OIDC_ROUTES.pushed_authorization_request)) return 'par';
  if (TOKEN_PATHS.some((route) => pathMatches(path, route))) return 'token';
  return pathMatches(path, options.apiPrefix) ? 'api' : undefined;
}

interface Check {
  key: string;
  limit: number;
  quota: 'tpp' | 'address';
}

/** Adds the quota hook to a listener; call it after the hooks that must see every request (metrics, certificates). */
export function enforceQuotas(app: FastifyInstance, listener: ListenerName, options: QuotaOptions): void {
  const { policy, counters, identities, logger } = options;
  const windowMs = policy.windowSeconds * 1000;

  app.addHook('onRequest', async (request, reply) => {
    const endpoint = endpointOf(listener, request.url.split('?')[0] ?? '/', options);
    if (endpoint === undefined) return;
    const checks: Check[] = [];
    // The customer pages have no TPP; the TPP endpoints count against the TPP once it is known.
    const clientId = endpoint === 'browser' ? undefined : identities.clientOf(request);
    if (clientId !== undefined && endpoint !== 'browser') {
      const limit = policy.tpps[clientId]?.[endpoint] ?? policy.perTpp[endpoint];
      if (limit > 0) checks.push({ key: `quota:${endpoint}:tpp:${clientId}`, limit, quota: 'tpp' });
    }
    const address = request.raw.socket.remoteAddress;
    const addressLimit = policy.perAddress[endpoint];
    if (addressLimit > 0 && address !== undefined && !isTrustedProxy(options.trustedProxies, address)) {
      checks.push({ key: `quota:${endpoint}:address:${address}`, limit: addressLimit, quota: 'address' });
    }
    if (checks.length === 0) return;

    const counts = await counters.hit(checks.map((check) => check.key), windowMs);
    const overIndex = checks.findIndex((check, i) => counts[i]!.count > check.limit);
    if (overIndex === -1) return;
    const over = checks[overIndex]!;
    const { count, resetsInMs } = counts[overIndex]!;
    if (count === over.limit * FLOOD_FACTOR) noteFlood(request, { endpoint, clientId, address, count, limit: over.limit, quota: over.quota });
    options.metrics.countThrottled(listener, request, clientId, over.quota);
    return refuse(reply, endpoint, Math.max(1, Math.ceil(resetsInMs / 1000)));
  });
  // What the API guard accepted tells the next request's hook whose token it carries.
  if (listener === 'mtls') app.addHook('onResponse', async (request) => identities.learnFromApi(request));

  function noteFlood(request: FastifyRequest, flood: { endpoint: QuotaEndpoint; clientId: string | undefined; address: string | undefined; count: number; limit: number; quota: 'tpp' | 'address' }): void {
    const detail = `${flood.count} ${flood.endpoint} requests in one ${policy.windowSeconds}-second window, ${FLOOD_FACTOR} times the ${flood.quota} quota of ${flood.limit}`;
    if (flood.quota === 'tpp') {
      options.securityEvents.recordInBackground({ kind: 'quota_flood', clientId: flood.clientId, interactionId: request.id, sourceAddress: flood.address, detail });
    } else {
      // Addresses are unbounded (a TPP's are not): a log line, not a row each.
      logger.warn({ flood: flood.endpoint, sourceAddress: flood.address, clientId: flood.clientId }, `flood from one address: ${detail}`);
    }
  }
}

function refuse(reply: FastifyReply, endpoint: QuotaEndpoint, retryAfterSeconds: number): FastifyReply {
  reply.code(429).header('retry-after', String(retryAfterSeconds)).header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8');
  if (endpoint === 'api') {
    const { errorCode, errorMessage } = tooManyRequests();
    return reply.send({ errorCode, errorMessage });
  }
  // RFC 6749 §4.1.2.1's code for a server too busy to answer now.
  return reply.send({ error: 'temporarily_unavailable', error_description: `too many requests: try again in ${retryAfterSeconds} seconds` });
}
