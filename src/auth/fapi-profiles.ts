// FAPI 1.0 Advanced and the FAPI 2.0 Security Profile side by side: each client's registered metadata
// names its profile, and oidc-provider asks for it per request (`features.fapi.profile`). FAPI 1.0
// Advanced is the default, so every TPP registered before FAPI 2.0 existed keeps its flows.
import { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** The extra client metadata property that chooses the profile. */
export const PROFILE_METADATA = 'ginko_fapi_profile';
export const FAPI_PROFILES = ['1.0', '2.0'] as const;
export type FapiProfile = (typeof FAPI_PROFILES)[number];

/** How a FAPI 2.0 client's tokens are sender-constrained (5.3.2.1-5: mTLS or DPoP); FAPI 1.0 knows only mTLS. */
export const SENDER_CONSTRAINTS = ['mtls', 'dpop'] as const;
export type SenderConstraint = (typeof SENDER_CONSTRAINTS)[number];

/** oidc-provider's Client, as its hooks receive it (undefined where no client is known, e.g. discovery). */
type WithMetadata = { metadata(): ClientMetadata } | undefined;

export function profileOf(client: WithMetadata): FapiProfile {
  return client?.metadata()[PROFILE_METADATA] === '2.0' ? '2.0' : '1.0';
}

/** `features.fapi.profile`: oidc-provider's names for the two profiles. */
export function oidcProviderProfile(_ctx: KoaContextWithOIDC, client: WithMetadata): '1.0 Final' | '2.0' {
  return profileOf(client) === '2.0' ? '2.0' : '1.0 Final';
}

/** `extraClientMetadata`: the profile is registered like any other client metadata, and checked. */
export const PROFILE_CLIENT_METADATA: NonNullable<Configuration['extraClientMetadata']> = {
  properties: [PROFILE_METADATA],
  validator(_ctx, key, value) {
    if (key === PROFILE_METADATA && value !== undefined && !(FAPI_PROFILES as readonly unknown[]).includes(value)) {
      throw new errors.InvalidClientMetadata(`${PROFILE_METADATA} must be one of ${FAPI_PROFILES.join(', ')}`);
    }
  },
};

/**
 * What a FAPI 2.0 client registers instead of the FAPI 1.0 defaults: pushed requests only (5.3.2.2-2),
 * plain form parameters (signed request objects belong to Message Signing), `code` only with the
 * response in the query and `iss` beside it (5.3.2.2-1, -7; oidc-provider always adds `iss`), and its
 * tokens bound to its certificate or to a DPoP key, never both (oidc-provider refuses two bindings).
 *
 * With `messageSigning` (FAPI 2.0 Message Signing, for TPPs that want non-repudiation), the same client
 * signs every request and the bank signs every response, both ways PS256 (FAPI_CLIENT_METADATA):
 * `require_signed_request_object`, so PAR takes only a request object (5.3.1; its claims are checked as
 * for FAPI 1.0: exp and nbf present, at most an hour apart, aud the issuer), and JARM responses only
 * (`response_modes`, 5.4.1), so an authorization response is never unsigned. These are standard client
 * metadata: a TPP registering itself opts in the same way.
 */
export function fapi2ClientMetadata(senderConstraint: SenderConstraint, messageSigning = false): Partial<ClientMetadata> {
  return {
    [PROFILE_METADATA]: '2.0',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    require_pushed_authorization_requests: true,
    require_signed_request_object: messageSigning,
    ...(messageSigning ? { response_modes: ['jwt', 'query.jwt'] } : {}),
    id_token_signed_response_alg: 'PS256',
    tls_client_certificate_bound_access_tokens: senderConstraint === 'mtls',
    dpop_bound_access_tokens: senderConstraint === 'dpop',
  };
}

/** OpenID Connect CIBA's grant type, for FAPI-CIBA clients (ciba/backchannel.ts). */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

/**
 * What a client registering itself must not change about its profile (dynamic registration, RFC 7591):
 * the same rules the metadata above sets, checked on the effective metadata (request over defaults).
 * Algorithms and auth methods need no check here: oidc-provider accepts only FAPI's (provider.ts).
 * Returns why the metadata breaks its profile, or undefined.
 */
export function fapiMetadataProblem(metadata: Partial<ClientMetadata>): string | undefined {
  const grantTypes = metadata.grant_types ?? [];
  if (grantTypes.some((grant) => grant !== 'authorization_code' && grant !== 'refresh_token' && grant !== CIBA_GRANT_TYPE)) {
    return `grant_types may hold only authorization_code, refresh_token and ${CIBA_GRANT_TYPE}`;
  }
  // FAPI-CIBA 5.2.2: signed authentication requests, PS256 or ES256 (the algorithms are oidc-provider's to check).
  if (grantTypes.includes(CIBA_GRANT_TYPE) && metadata.backchannel_authentication_request_signing_alg === undefined) {
    return 'a CIBA client registers backchannel_authentication_request_signing_alg (PS256 or ES256): FAPI-CIBA requires signed authentication requests';
  }
  const responseTypes = metadata.response_types ?? [];
  const mtlsBound = metadata.tls_client_certificate_bound_access_tokens === true;
  const dpopBound = metadata.dpop_bound_access_tokens === true;
  if (metadata[PROFILE_METADATA] === '2.0') {
    if (responseTypes.length !== 1 || responseTypes[0] !== 'code') return 'a FAPI 2.0 client registers response_types ["code"] (5.3.2.2-1)';
    if (metadata.require_pushed_authorization_requests !== true) return 'a FAPI 2.0 client registers require_pushed_authorization_requests: true (5.3.2.2-2)';
    if (mtlsBound === dpopBound) return 'a FAPI 2.0 client binds its tokens either to its certificate or to a DPoP key: exactly one of tls_client_certificate_bound_access_tokens and dpop_bound_access_tokens (5.3.2.1-5)';
    return undefined;
  }
  if (metadata.require_signed_request_object !== true) return 'a FAPI 1.0 Advanced client registers require_signed_request_object: true (5.2.2-1)';
  if (!mtlsBound || dpopBound) return 'a FAPI 1.0 Advanced client registers tls_client_certificate_bound_access_tokens: true and no DPoP binding (5.2.2-5)';
  return undefined;
}
