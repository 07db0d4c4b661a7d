// The two HTTPS listeners and how the authorization server is mounted on them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions } from 'node:https';
import middie from '@fastify/middie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type Provider from 'oidc-provider';
import { pathMatches } from '../auth/routes.ts';

/** Limits every listener enforces (Tiger Style: a bound on everything a client controls). */
export const HTTP_LIMITS = {
  bodyBytes: 64 * 1024,
  /** Bounds the request line and headers (node's maxHeaderSize). */
  headerBytes: 16 * 1024,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionTimeoutMs: 60_000,
} as const;

export async function createListener(tls: ServerOptions, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = Fastify({
    https: tls,
    loggerInstance: logger,
    bodyLimit: HTTP_LIMITS.bodyBytes,
    routerOptions: { maxParamLength: 200 },
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    connectionTimeout: HTTP_LIMITS.connectionTimeoutMs,
    return503OnClosing: true,
    trustProxy: false,
  });
  (app.server as { maxHeaderSize?: number }).maxHeaderSize = HTTP_LIMITS.headerBytes;
  await app.register(middie);
  await app.register(formbody, { bodyLimit: HTTP_LIMITS.bodyBytes });
  // An https server hands routes the same IncomingMessage/ServerResponse as http; the plugins are
  // typed against the default server.
  return app as unknown as FastifyInstance;
}

/**
 * Hands the given oidc-provider paths to the provider. It runs as middleware, before Fastify parses
 * the body, because oidc-provider reads the raw request stream itself.
 */
export function mountProvider(app: FastifyInstance, provider: Provider, paths: readonly string[]): void {
  const handle = provider.callback();
  app.use((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (paths.some((route) => pathMatches(path, route))) {
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
