// Prometheus metrics: what every request did (per listener, route and TPP), how long it took, and
// what the authorization server did (tokens issued, grants revoked, OAuth errors — the security
// events). One registry per running bank, so several banks in one process (tests) never mix.
// Every label takes values from a bounded set: route patterns (never raw paths), status codes,
// OAuth error codes, and client ids of registered TPPs only.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DISCOVERY_PATH, OIDC_ROUTES, pathMatches } from '../auth/routes.ts';

export type ListenerName = 'browser' | 'mtls';

/** Latency buckets in seconds: from a cached discovery document to a slow transaction page. */
const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label value when no registered TPP is known for a request (pages, discovery, refused clients). */
const NO_CLIENT = 'none';

/** The oidc-provider error events, one per endpoint: each is a refused request (a security event). */
export const PROVIDER_ERROR_EVENTS = [
  'authorization.error',
  'pushed_authorization_request.error',
  'backchannel_authentication.error',
  'grant.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'jwks.error',
  'discovery.error',
] as const;

/** Saved opaque tokens and codes; `issued` is the event for structured (JWT) ones. */
const TOKEN_EVENTS = {
  'access_token.saved': 'access_token',
  'access_token.issued': 'access_token',
  'refresh_token.saved': 'refresh_token',
  'authorization_code.saved': 'authorization_code',
} as const;

export class BankMetrics {
  readonly registry = new Registry();
  private readonly requests = this.counter('ginko_http_requests_total', 'HTTP requests answered, by listener, route pattern, method, status and TPP client id', [
    'listener',
    'route',
    'method',
    'status',
    'client_id',
  ]);
  private readonly latency = new Histogram({
    name: 'ginko_http_request_duration_seconds',
    help: 'Time from the request arriving to the response finishing, by listener, route pattern and method',
    labelNames: ['listener', 'route', 'method'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  private readonly aborted = this.counter('ginko_http_requests_aborted_total', 'Requests whose connection closed before the response finished', ['listener', 'route', 'method']);
  private readonly tokens = this.counter('ginko_oauth_tokens_issued_total', 'Authorization codes, access tokens and refresh tokens issued, by type and TPP client id', ['type', 'client_id']);
  private readonly oauthErrors = this.counter('ginko_oauth_errors_total', 'Requests the authorization server refused or failed, by event, OAuth error code and TPP client id', [
    'event',
    'error',
    'client_id',
  ]);
  private readonly grantsRevoked = this.counter('ginko_oauth_grants_revoked_total', 'Grants (consents) ended inside the authorization server: refresh-token revocation, code reuse', []);
  private readonly securityEvents = this.counter('ginko_security_events_total', 'Attacks refused and recorded in security_events, by kind and TPP client id', ['kind', 'client_id']);
  private readonly throttled = this.counter('ginko_quota_throttled_total', 'Requests refused with 429 because a quota was spent, by listener, route pattern, TPP client id and quota (tpp or address)', [
    'listener',
    'route',
    'client_id',
    'quota',
  ]);
  private readonly quotaFallbacks = this.counter('ginko_quota_counter_fallbacks_total', 'Requests counted in the node\'s memory because Redis (GINKO_REDIS_URL) did not answer', []);
  /** TPP client ids oidc-provider authenticated or looked up, per raw request. */
  private readonly providerClients = new WeakMap<IncomingMessage, string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ginko_' });
  }

  /** Counts and times every request of a listener; call before anything can answer a request. */
  instrumentListener(app: FastifyInstance, listener: ListenerName): void {
    app.addHook('onRequest', async (request, reply) => {
      const started = process.hrtime.bigint();
      reply.raw.once('close', () => {
        const route = routeOf(request);
        const method = request.method;
        if (!reply.raw.writableFinished) {
          this.aborted.inc({ listener, route, method });
          return;
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.latency.observe({ listener, route, method }, seconds);
        const clientId = request.bankAccess?.clientId ?? this.providerClients.get(request.raw) ?? NO_CLIENT;
        this.requests.inc({ listener, route, method, status: String(reply.raw.statusCode), client_id: clientId });
      });
    });
  }

  /** Listens to the authorization server's events and notes which TPP each of its requests was for. */
  instrumentProvider(provider: Provider): void {
    provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
      try {
        await next();
      } finally {
        const clientId = ctx.oidc?.client?.clientId;
        if (clientId) this.providerClients.set(ctx.req, clientId);
      }
    });
    // The typings know each event's listener; these loops register by name.
    const events = provider as unknown as EventEmitter;
    for (const [event, type] of Object.entries(TOKEN_EVENTS)) {
      events.on(event, (token: { clientId?: string }) => this.tokens.inc({ type, client_id: token.clientId ?? NO_CLIENT }));
    }
    for (const event of [...PROVIDER_ERROR_EVENTS, 'server_error']) {
      events.on(event, (ctx: KoaContextWithOIDC | undefined, error: { error?: string }) => {
        this.oauthErrors.inc({ event, error: event === 'server_error' ? 'server_error' : (error?.error ?? 'unknown'), client_id: ctx?.oidc?.client?.clientId ?? NO_CLIENT });
      });
    }
    provider.on('grant.revoked', () => this.grantsRevoked.inc());
  }

  /** One recorded security event (security/security-events.ts). */
  countSecurityEvent(kind: string, clientId: string | undefined): void {
    this.securityEvents.inc({ kind, client_id: clientId ?? NO_CLIENT });
  }

  /** A request refused by a quota (http/quotas.ts). */
  countThrottled(listener: ListenerName, request: FastifyRequest, clientId: string | undefined, quota: 'tpp' | 'address'): void {
    this.throttled.inc({ listener, route: routeOf(request), client_id: clientId ?? NO_CLIENT, quota });
  }

  /** A request Redis could not count, counted by the node alone (http/quota-counters.ts). */
  countQuotaFallback(): void {
    this.quotaFallbacks.inc();
  }

  /** The API guard's cache (api/access-cache.ts): lookups it answered or not, and whether its LISTEN is up. */
  observeAccessCache(cache: { readonly stats: { hits: number; misses: number; notices: number; outages: number } }, notices: { readonly listening: boolean }): void {
    new Gauge({
      name: 'ginko_access_cache_lookups',
      help: 'Access-token lookups of the API guard since start, answered from the node\'s cache (hit) or the store (miss)',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        this.set({ result: 'hit' }, cache.stats.hits);
        this.set({ result: 'miss' }, cache.stats.misses);
      },
    });
    new Gauge({ name: 'ginko_access_cache_notices', help: 'Change notices (revocations, suspensions…) received since start', registers: [this.registry], collect() { this.set(cache.stats.notices); } });
    new Gauge({ name: 'ginko_access_notices_lost', help: 'Times the LISTEN connection was lost since start (the cache was off until it was back)', registers: [this.registry], collect() { this.set(cache.stats.outages); } });
    new Gauge({ name: 'ginko_access_notices_listening', help: '1 while the LISTEN connection for change notices is up; at 0 the cache is off', registers: [this.registry], collect() { this.set(notices.listening ? 1 : 0); } });
  }

  private counter<Label extends string>(name: string, help: string, labelNames: readonly Label[]): Counter<Label> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** The exposition text and its content type, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

const PROVIDER_PATHS = [DISCOVERY_PATH, ...Object.values(OIDC_ROUTES)];

/** The route pattern: Fastify's own, or the oidc-provider endpoint; never the raw path (unbounded). */
function routeOf(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  if (pattern !== undefined) return pattern;
  const path = request.url.split('?')[0] ?? '/';
  return PROVIDER_PATHS.find((route) => pathMatches(path, route)) ?? 'unmatched';
}
