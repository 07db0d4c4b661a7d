// Where each authorization-server endpoint lives, and on which listener. One table, so discovery,
// the listeners and the documentation cannot disagree.

/** oidc-provider route paths (its `routes` option). */
export const OIDC_ROUTES = {
  authorization: '/oauth/authorize',
  pushed_authorization_request: '/oauth/par',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  introspection: '/oauth/introspect',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  end_session: '/oauth/logout',
  backchannel_authentication: '/oauth/backchannel',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  registration: '/oauth/register',
  challenge: '/oauth/challenge',
} as const;

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
/** RFC 8414 authorization server metadata: the discovery document again, for plain OAuth clients (FAPI 2.0 `plain_oauth`). */
export const AUTHORIZATION_SERVER_METADATA_PATH = '/.well-known/oauth-authorization-server';

/** Endpoints a browser reaches: on the issuer's listener, which never asks for a client certificate. */
export const BROWSER_PATHS = [DISCOVERY_PATH, AUTHORIZATION_SERVER_METADATA_PATH, OIDC_ROUTES.jwks, OIDC_ROUTES.authorization];

/**
 * Endpoints a TPP's server calls: only on the mTLS listener, where a client certificate is asked
 * for, so that every token is bound to one (FAPI 1.0 Advanced 5.2.2-5, RFC 8705 §3). Discovery
 * names these URLs both as the endpoints and as `mtls_endpoint_aliases` (RFC 8705 §5).
 */
export const MTLS_ENDPOINTS = {
  pushed_authorization_request_endpoint: OIDC_ROUTES.pushed_authorization_request,
  token_endpoint: OIDC_ROUTES.token,
  userinfo_endpoint: OIDC_ROUTES.userinfo,
  introspection_endpoint: OIDC_ROUTES.introspection,
  revocation_endpoint: OIDC_ROUTES.revocation,
  // Dynamic registration (RFC 7591) and its management under /oauth/register/:clientId (RFC 7592).
  registration_endpoint: OIDC_ROUTES.registration,
  // CIBA: the TPP's server starts a decoupled authentication (FAPI-CIBA, certificate-bound tokens).
  backchannel_authentication_endpoint: OIDC_ROUTES.backchannel_authentication,
} as const;

export const MTLS_PATHS: string[] = Object.values(MTLS_ENDPOINTS);

/** Whether `path` (no query) is `route` or one of its sub-paths (the authorization resume is `/oauth/authorize/:uid`). */
export function pathMatches(path: string, route: string): boolean {
  return path === route || path.startsWith(`${route}/`);
}
