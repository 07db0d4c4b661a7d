// RFC 9728 OAuth 2.0 Protected Resource Metadata for the bank APIs: which authorization server issues
// their tokens, which scopes they take, and that tokens go in the header, bound to a TLS client
// certificate or (FAPI 2.0 clients) to a DPoP key. Served at /.well-known/oauth-protected-resource and, as §3.1 forms it from the resource
// identifier's path, at /.well-known/oauth-protected-resource/<path> (e.g. …/api/v1).
import type { FastifyPluginAsync } from 'fastify';
import { ACCOUNTS_SCOPE } from '../auth/scopes.ts';
import { DPOP_ALGORITHMS } from './dpop.ts';

export interface ResourceMetadataOptions {
  /** The resource identifier: the APIs' base URL, e.g. https://localhost:8444/api/v1. */
  resource: string;
  /** Issuer of the authorization server. */
  authorizationServer: string;
}

const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';

export const resourceMetadataRoute: FastifyPluginAsync<ResourceMetadataOptions> = async (app, options) => {
  const resourceUrl = new URL(options.resource);
  if (resourceUrl.protocol !== 'https:' || resourceUrl.search || resourceUrl.hash) {
    throw new Error(`resource ${options.resource} must be an https URL without query or fragment (RFC 9728 §1.2)`);
  }
  const metadata = {
    resource: options.resource,
    authorization_servers: [options.authorizationServer],
    scopes_supported: [ACCOUNTS_SCOPE],
    bearer_methods_supported: ['header'],
    tls_client_certificate_bound_access_tokens: true,
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    resource_name: 'Ginko Bank API',
  };
  const suffix = resourceUrl.pathname.replace(/\/+$/, '');
  const paths = suffix === '' ? [WELL_KNOWN_PATH] : [WELL_KNOWN_PATH, `${WELL_KNOWN_PATH}${suffix}`];
  for (const path of paths) {
    app.get(path, async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(metadata));
  }
};
