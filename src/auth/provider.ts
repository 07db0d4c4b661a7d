// The authorization server: oidc-provider configured for FAPI 1.0 Advanced Final and, for the clients
// that register for it, the FAPI 2.0 Security Profile (fapi-profiles.ts). Every option that matters for
// a profile is set here, explicitly, with the clause it serves.
import type { X509Certificate } from 'node:crypto';
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { GinkoConfig } from '../config/config.ts';
import { clientCertificateChainTrusted, clientCertificateOf } from '../http/client-certificate.ts';
import { sameDistinguishedName, subjectDnOf } from '../pki/dev-pki.ts';
import type { Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { adapterFactory } from './adapter.ts';
import type { ClientMetadataCache } from './client-cache.ts';
import { commitBeforeAnswer } from './request-writes.ts';
import type { KeyRing } from './keys.ts';
import { renderAuthorizationError } from './pages.ts';
import { publishedJwks, scheduledSigningKeys } from './signing-keys.ts';
import { makeReplayDetectionAtomic, rememberRequestObjects, requestObjectClaimsCheck } from './replay-detection.ts';
import { dpopNonceSecret } from './dpop-nonces.ts';
import { oidcProviderProfile, profileOf, PROFILE_CLIENT_METADATA } from './fapi-profiles.ts';
import { AUTHORIZATION_SERVER_METADATA_PATH, DISCOVERY_PATH, MTLS_ENDPOINTS, OIDC_ROUTES } from './routes.ts';
import { SCOPES } from './scopes.ts';
import { ACR_VALUES_SUPPORTED } from './acr.ts';
import { authorizationDetailsInTokenResponse, authorizationDetailsValidator, TRANSFER_DETAILS_TYPE } from './transfer-approval.ts';
import { awaitActivation, registrationFeatures, softwareStatementMetadata } from '../tpp/registration.ts';
import { announcePollInterval, cibaFeature, pollIntervalGate } from '../ciba/backchannel.ts';
import { sandboxOutboundFetch } from '../http/outbound.ts';

/** FAPI 1.0 Advanced 8.6: only PS256 and ES256; `none` and RS256 are never accepted. */
const FAPI_ALGS: ('PS256' | 'ES256')[] = ['PS256', 'ES256'];

/**
 * The client metadata every TPP gets unless it registers otherwise: the FAPI 1.0 Advanced flows,
 * PS256 everywhere, and certificate-bound access tokens (5.2.2-5).
 */
export const FAPI_CLIENT_METADATA: Readonly<Omit<ClientMetadata, 'client_id'>> = {
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code id_token', 'code'],
  id_token_signed_response_alg: 'PS256',
  authorization_signed_response_alg: 'PS256',
  // RFC 9701 signed introspection responses, when asked for (jwtIntrospection); oidc-provider's default is RS256.
  introspection_signed_response_alg: 'PS256',
  request_object_signing_alg: 'PS256',
  // 5.2.2-1; per client, since FAPI 2.0 clients push plain parameters.
  require_signed_request_object: true,
  tls_client_certificate_bound_access_tokens: true,
};

const TTL_SECONDS = {
  /** RFC 6749 §4.1.2 recommends ≤ 10 minutes; a minute is plenty for a server-side exchange. */
  authorizationCode: 60,
  idToken: 300,
  /** Time the customer has to log in and consent. */
  interaction: 600,
} as const;

/** oidc-provider's fixed lifetime of a JARM response (not configurable). */
const JARM_RESPONSE_TTL_SECONDS = 120;

/** The longest anything the bank signs stays valid: a retired signing key stays in the JWKS this long (keys.ts). */
export const SIGNED_JWT_LIFETIME_SECONDS = Math.max(TTL_SECONDS.idToken, JARM_RESPONSE_TTL_SECONDS);

/**
 * The bank's authorization server keeps every model in the store (`db`). The benchmark baseline
 * (bench/bare-provider.ts) builds the same configuration without the store: an in-memory adapter,
 * static clients and accounts that need no lookup. Nothing else runs that way.
 */
export type AuthorizationServerInput = {
  config: GinkoConfig;
  keys: KeyRing;
  /** The sandbox CA, when outgoing requests may go to TPP apps beside the sandbox (http/outbound.ts). */
  sandboxCaPem?: string | undefined;
} & (
  | { db: Db; clientCache?: ClientMetadataCache | undefined }
  | { withoutStore: { clients: ClientMetadata[]; adapter: NonNullable<Configuration['adapter']> } }
);

export function createProvider(input: AuthorizationServerInput): Provider {
  const { config, keys } = input;
  const issuer = config.browser.publicUrl;
  const consentTtlSeconds = config.consentDays * 24 * 3600;
  const db = 'db' in input ? input.db : undefined;

  const configuration: Configuration = {
    ...('db' in input ? { adapter: adapterFactory(input.db, { newTppStatus: config.registration.newTppStatus, beforeBackchannelRequestFind: pollIntervalGate(input.db), clients: input.clientCache }) } : input.withoutStore),
    // One key per algorithm that always stands for its current key (signing-keys.ts): rotation without a restart.
    jwks: { keys: scheduledSigningKeys(keys) },
    cookies: {
      keys: [...keys.cookieKeys],
      long: { signed: true, secure: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, secure: true, httpOnly: true, sameSite: 'lax' },
    },
    routes: OIDC_ROUTES,
    scopes: [...SCOPES.keys()],
    // How the customer logged in (auth/acr.ts) is in every ID token.
    claims: { openid: ['sub', 'acr', 'amr'] },
    acrValues: ACR_VALUES_SUPPORTED,
    // 取引認証: RFC 9396 authorization_details naming one requested transfer (see transfer-approval.ts).
    ...(db ? { extraParams: { authorization_details: authorizationDetailsValidator(db) } } : {}),
    responseTypes: ['code id_token', 'code'],
    clientAuthMethods: ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
    assertJwtClientAuthClaimsAndHeader: clientAssertionAudienceIsThisServer(config),
    enabledJWA: {
      idTokenSigningAlgValues: FAPI_ALGS,
      requestObjectSigningAlgValues: FAPI_ALGS,
      clientAuthSigningAlgValues: FAPI_ALGS,
      authorizationSigningAlgValues: FAPI_ALGS,
      userinfoSigningAlgValues: FAPI_ALGS,
      introspectionSigningAlgValues: FAPI_ALGS,
      dPoPSigningAlgValues: FAPI_ALGS,
    },
    clientDefaults: FAPI_CLIENT_METADATA,
    ...(input.sandboxCaPem ? { fetch: sandboxOutboundFetch(input.sandboxCaPem) } : {}),
    // The FAPI profile, and the software statement of a TPP registering itself (tpp/registration.ts).
    extraClientMetadata: softwareStatementMetadata(config.registration.trustedDirectories, PROFILE_CLIENT_METADATA),
    features: {
      fapi: { enabled: true, profile: oidcProviderProfile },
      // Signed request objects, by value or pushed: required of FAPI 1.0 clients by their metadata.
      // A request object's jti works once (RFC 9101 §10.8; replay-detection.ts).
      requestObjects: { enabled: true, requireSignedRequestObject: false, assertJwtClaimsAndHeader: requestObjectClaimsCheck(db) },
      // A request_uri lives 60 s at most, less if the request object expires sooner (oidc-provider
      // fixes this; it has no ttl option for pushed requests), and is single use (RFC 9126 §7.3).
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      jwtResponseModes: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx: KoaContextWithOIDC) => clientCertificateOf(ctx.req),
        certificateAuthorized: (ctx: KoaContextWithOIDC) => clientCertificateChainTrusted(ctx.req),
        certificateSubjectMatches: (ctx: KoaContextWithOIDC, property: string, expected: string) =>
          certificateSubjectMatches(clientCertificateOf(ctx.req), property, expected),
      },
      introspection: { enabled: true },
      // RFC 9701: a signed introspection response (PS256, FAPI_CLIENT_METADATA) for a client that asks
      // with Accept: application/token-introspection+jwt (FAPI 2.0 Message Signing 5.5).
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      // Access tokens serve both userinfo and the bank APIs, whose scopes are ours (see scopes.ts).
      resourceIndicators: { enabled: false },
      // RFC 9449, for FAPI 2.0 clients registered with DPoP-bound tokens. Server nonces always (§8): a
      // proof is then fresh by the server's clock, not the client's; proof replay is refused.
      dPoP: { enabled: true, nonceSecret: dpopNonceSecret(keys), requireNonce: () => true, allowReplay: false },
      devInteractions: { enabled: false },
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      rpInitiatedLogout: { enabled: false },
      // A TPP may require a login level: an essential `acr` in the claims parameter or request object.
      claimsParameter: { enabled: true },
      // RFC 7591/7592 for TPPs with a software statement from a trusted directory, on the mTLS listener.
      ...registrationFeatures(),
      // CIBA under FAPI-CIBA: poll and ping, decided in the bank app (ciba/).
      ...(db ? cibaFeature(db) : {}),
    },
    // Exact registered redirect URIs, always sent (FAPI 1.0 Advanced 5.2.2-8 and conformance).
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: pkceRequiredOnPushedRequests },
    // Every authorization asks the customer again: a bank consent is per linking, never implied.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // A TPP's access lives by the customer's consent (its expiry, revocation), never by the customer's login
    // session at the bank: oidc-provider's default ties tokens without offline_access to that session, so a
    // later linking or transfer approval for the same TPP in the same browser silently ended them.
    expiresWithSession: async () => false,
    // Sender-constrained refresh tokens need no rotation (RFC 9700 §4.14.2).
    rotateRefreshToken: false,
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      AuthorizationCode: TTL_SECONDS.authorizationCode,
      IdToken: TTL_SECONDS.idToken,
      Interaction: TTL_SECONDS.interaction,
      Session: customerSessionTtl(config.customerSessions),
      Grant: consentTtlSeconds,
      RefreshToken: Math.min(config.refreshTokenTtlSeconds, consentTtlSeconds),
    },
    findAccount: async (_ctx, customerId) => {
      if (!db) return { accountId: customerId, claims: () => ({ sub: customerId }) };
      // Every authorization and token request asks: prepared once per connection (store/prepared-statements.ts).
      const { rows } = await db.executeQuery(preparedQuery(db.selectFrom('customers').select('customer_id').where('customer_id', '=', customerId).compile()));
      const customer = rows[0];
      return customer ? { accountId: customer.customer_id, claims: () => ({ sub: customer.customer_id }) } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: renderAuthorizationError,
    discovery: {
      ui_locales_supported: ['ja', 'en'],
      claims_locales_supported: ['ja', 'en'],
      // RFC 9396 §10: the one authorization_details type the bank understands (transfer-approval.ts).
      authorization_details_types_supported: [TRANSFER_DETAILS_TYPE],
    },
  };

  const provider = new Provider(issuer, configuration);
  // First, so it wraps the rest: a request's rows (and audit entries) are committed before it answers.
  if (db) provider.use(commitBeforeAnswer(db));
  provider.use(advertiseListeners(config));
  provider.use(publishedJwks(keys));
  if (db) {
    makeReplayDetectionAtomic(provider, db);
    provider.use(rememberRequestObjects(provider, db));
  }
  if (db) provider.use(awaitActivation(provider, db));
  provider.use(announcePollInterval(OIDC_ROUTES.backchannel_authentication));
  provider.use(authorizationDetailsInTokenResponse);
  return provider;
}

/**
 * The customer's login session at a linking (oidc-provider's, renewed on each use): it ends after
 * `idleSeconds` unused, and `maxSeconds` after login at the latest, like the session of the customer's pages.
 */
function customerSessionTtl(limits: GinkoConfig['customerSessions']) {
  return (_ctx: KoaContextWithOIDC, session: { loginTs?: number | undefined }): number => {
    if (session.loginTs === undefined) return limits.idleSeconds;
    const leftSeconds = session.loginTs + limits.maxSeconds - Math.floor(Date.now() / 1000);
    return Math.max(1, Math.min(limits.idleSeconds, leftSeconds));
  };
}

/**
 * RFC 7523 §3 (3): a client assertion's `aud` must identify this server — the issuer, the token
 * endpoint, or the endpoint it is sent to. oidc-provider derives the endpoint URLs from the request's
 * Host header, so an assertion minted for another server could be replayed here under that server's
 * Host; the URLs are therefore checked again against the configured public ones. (This replaces
 * oidc-provider's default hook.) FAPI 2.0 narrows it to the issuer alone, as a string (5.3.2.1-8).
 */
function clientAssertionAudienceIsThisServer(config: GinkoConfig) {
  const urlOf = (route: string): string | undefined => {
    const path = (OIDC_ROUTES as Record<string, string>)[route];
    return path && `${config.mtls.publicUrl}${path}`;
  };
  return (ctx: KoaContextWithOIDC, claims: Record<string, unknown>, _header: unknown, client: Parameters<typeof profileOf>[0]): void => {
    if (profileOf(client) === '2.0') {
      if (claims.aud !== ctx.oidc.issuer) throw new errors.InvalidClientAuth('audience (aud) must be the issuer identifier, as a string');
      return;
    }
    const accepted = new Set([ctx.oidc.issuer, urlOf('token'), urlOf(ctx.oidc.route)]);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((aud) => typeof aud === 'string' && accepted.has(aud))) {
      throw new errors.InvalidClientAuth('audience (aud) must be the issuer identifier, the token endpoint or this endpoint');
    }
  };
}

/** FAPI 1.0 Advanced 5.2.2-18: PKCE S256 is required for pushed requests; accepted (and checked) otherwise. */
function pkceRequiredOnPushedRequests(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'pushed_authorization_request';
}

function certificateSubjectMatches(certificate: X509Certificate | undefined, property: string, expected: string): boolean {
  if (!certificate) return false;
  switch (property) {
    case 'tls_client_auth_subject_dn':
      return sameDistinguishedName(subjectDnOf(certificate), expected);
    case 'tls_client_auth_san_dns':
      return subjectAltNames(certificate, 'DNS').includes(expected);
    case 'tls_client_auth_san_uri':
      return subjectAltNames(certificate, 'URI').includes(expected);
    case 'tls_client_auth_san_ip':
      return subjectAltNames(certificate, 'IP Address').includes(expected);
    case 'tls_client_auth_san_email':
      return subjectAltNames(certificate, 'email').includes(expected);
    default:
      return false;
  }
}

function subjectAltNames(certificate: X509Certificate, kind: string): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith(`${kind}:`))
    .map((entry) => entry.slice(kind.length + 1));
}

/**
 * Discovery names each endpoint on the listener that serves it, whatever Host header the request
 * came with: the mTLS-only endpoints on the mTLS listener, also as `mtls_endpoint_aliases`.
 */
function advertiseListeners(config: GinkoConfig) {
  const mtlsUrls = Object.fromEntries(Object.entries(MTLS_ENDPOINTS).map(([name, path]) => [name, `${config.mtls.publicUrl}${path}`]));
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    // RFC 8414 metadata (plain OAuth clients look there) is the same document as OpenID discovery.
    if (ctx.path === AUTHORIZATION_SERVER_METADATA_PATH) ctx.path = DISCOVERY_PATH;
    await next();
    if (ctx.path !== DISCOVERY_PATH || ctx.status !== 200 || typeof ctx.body !== 'object' || ctx.body === null) return;
    Object.assign(ctx.body, {
      authorization_endpoint: `${config.browser.publicUrl}${OIDC_ROUTES.authorization}`,
      jwks_uri: `${config.browser.publicUrl}${OIDC_ROUTES.jwks}`,
      ...mtlsUrls,
      mtls_endpoint_aliases: mtlsUrls,
    });
  };
}
