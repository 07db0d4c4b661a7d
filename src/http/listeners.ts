// The two HTTPS listeners and how the authorization server is mounted on them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions } from 'node:https';
import middie from '@fastify/middie';
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type Provider from 'oidc-provider';
import { AUTHORIZATION_SERVER_METADATA_PATH, DISCOVERY_PATH, OIDC_ROUTES, pathMatches } from '../auth/routes.ts';
import { INTERACTION_ID_HEADER, INTERACTION_ID_LOG_LABEL, interactionIdOf } from './interaction-id.ts';
import type { ListenerLimits } from '../config/floods.ts';

/**
 * A listener with the platform's limits (config/floods.ts: body and header sizes, timeouts, a connection
 * cap). `observe` runs before anything that can answer a request is added (metrics see every request,
 * also those oidc-provider answers; quotas refuse before the provider reads a byte of the body).
 */
export async function createListener(tls: ServerOptions, logger: FastifyBaseLogger, limits: ListenerLimits, observe: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify({
    https: tls,
    loggerInstance: logger,
    // Every log line of a request carries its x-fapi-interaction-id, and every response echoes it.
    genReqId: (req) => interactionIdOf(req.headers),
    logController: new LogController({ requestIdLogLabel: INTERACTION_ID_LOG_LABEL }),
    bodyLimit: limits.bodyBytes,
    // Path parameters are already bounded by headerBytes. A lower router bound would answer a long
    // one with Fastify's bare 414 before any route runs; this way the route refuses it in its own
    // format (the interaction error page, the API's error body).
    routerOptions: { maxParamLength: limits.headerBytes },
    rewriteUrl: escapeUndecodablePath,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    // An idle socket (no request started, or a stalled body) is cut after the request timeout too.
    connectionTimeout: limits.requestTimeoutSeconds * 1000,
    return503OnClosing: true,
    trustProxy: false,
  });
  const server = app.server as typeof app.server & { maxHeaderSize?: number; headersTimeout: number; maxConnections: number; connectionsCheckingInterval: number };
  server.maxHeaderSize = limits.headerBytes;
  server.headersTimeout = limits.headersTimeoutSeconds * 1000;
  // How often node looks for requests past those timeouts (its default, 30 s, would let a slow
  // request hold its connection up to 30 s longer than the limit says).
  server.connectionsCheckingInterval = CONNECTION_CHECK_INTERVAL_MS;
  // Beyond the cap node closes a new connection at once, before TLS: a connection flood cannot take
  // the memory and file descriptors the connections already open need.
  server.maxConnections = limits.maxConnections;
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.setHeader(INTERACTION_ID_HEADER, request.id);
  });
  observe(app as unknown as FastifyInstance);
  await app.register(middie);
  await app.register(formbody, { bodyLimit: limits.bodyBytes });
  // An https server hands routes the same IncomingMessage/ServerResponse as http; the plugins are
  // typed against the default server.
  return app as unknown as FastifyInstance;
}

const CONNECTION_CHECK_INTERVAL_MS = 1000;

/**
 * A path with a percent-escape that does not decode (`%zz`, a cut UTF-8 sequence) would be refused
 * by the router with a bare 400 before any route or hook runs. Escaping its `%` signs instead lets
 * the request reach the area it was aimed at, which refuses it in its own format: no route has such
 * a path, so the API answers with its 404 body, the interaction pages with their error page.
 */
function escapeUndecodablePath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  try {
    decodeURI(path);
    return url;
  } catch {
    return `${path.replaceAll('%', '%25')}${queryStart === -1 ? '' : url.slice(queryStart)}`;
  }
}

/**
 * The methods oidc-provider routes on each of its paths, as provider.ts configures it (authorization
 * requests by GET only). oidc-provider answers any other method with a bare `404 Not Found`; the
 * listener answers 405 with `Allow` and an RFC 6749 error instead. OPTIONS stays with the provider,
 * whose CORS handling owns it.
 */
const PROVIDER_METHODS: Readonly<Record<string, readonly string[]>> = {
  [DISCOVERY_PATH]: ['GET', 'HEAD'],
  [AUTHORIZATION_SERVER_METADATA_PATH]: ['GET', 'HEAD'],
  [OIDC_ROUTES.jwks]: ['GET', 'HEAD'],
  [OIDC_ROUTES.authorization]: ['GET', 'HEAD'],
  [OIDC_ROUTES.pushed_authorization_request]: ['POST'],
  [OIDC_ROUTES.token]: ['POST'],
  [OIDC_ROUTES.userinfo]: ['GET', 'HEAD', 'POST'],
  [OIDC_ROUTES.introspection]: ['POST'],
  [OIDC_ROUTES.revocation]: ['POST'],
  [OIDC_ROUTES.registration]: ['POST'],
  [OIDC_ROUTES.backchannel_authentication]: ['POST'],
};

/** An RFC 6749 `invalid_request` answered by the listener itself, before the provider. */
function invalidRequest(res: ServerResponse, statusCode: number, description: string): void {
  res.statusCode = statusCode;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify({ error: 'invalid_request', error_description: description }));
}

function methodNotAllowed(res: ServerResponse, method: string, path: string, allowed: readonly string[]): void {
  res.setHeader('allow', allowed.join(', '));
  const use = allowed.filter((m) => m !== 'HEAD').join(' or ');
  invalidRequest(res, 405, `${method} is not supported on ${path}: use ${use}`);
}

/**
 * Hands the given oidc-provider paths to the provider. It runs as middleware, before Fastify parses
 * the body, because oidc-provider reads the raw request stream itself — with its own cap (56 KiB,
 * then invalid_request), so a body declared over the listener's limit is refused here with 413.
 */
export function mountProvider(app: FastifyInstance, provider: Provider, paths: readonly string[]): void {
  const handle = provider.callback();
  const bodyLimit = app.initialConfig.bodyLimit ?? 0;
  app.use((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (paths.some((route) => pathMatches(path, route))) {
      const method = req.method ?? 'GET';
      const allowed = PROVIDER_METHODS[path];
      if (allowed && method !== 'OPTIONS' && !allowed.includes(method)) {
        methodNotAllowed(res, method, path, allowed);
        return;
      }
      if (Number(req.headers['content-length'] ?? 0) > bodyLimit) {
        invalidRequest(res, 413, `the request body is larger than ${bodyLimit} bytes`);
        return;
      }
      void handle(req, res);
      return;
    }
    next();
  });
}

/** On the listener that does not serve them, the mTLS endpoints answer with where they are. */
export function pointToMtlsListener(app: FastifyInstance, paths: readonly string[], mtlsPublicUrl: string): void {
  app.use((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!paths.some((route) => pathMatches(path, route))) return next();
    res.statusCode = 400;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(
      JSON.stringify({
        error: 'invalid_request',
        error_description: `this endpoint requires mutual TLS: use ${mtlsPublicUrl}${path} (see mtls_endpoint_aliases in discovery)`,
      }),
    );
  });
}
