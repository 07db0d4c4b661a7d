// Dynamic client registration (RFC 7591) and its management (RFC 7592) for TPPs that hold a software
// statement signed by a directory the bank trusts. oidc-provider serves the protocol
// (`features.registration`, `features.registrationManagement`, on the mTLS listener); this file is the
// bank's policy on top: who may register (the statement, checked here), what they may register (the
// statement's claims, and FAPI's rules on the rest), and that a registration the bank has not yet
// activated cannot be managed. The new client lands in the TPP registry (auth/adapter.ts), suspended or
// active as GINKO_REGISTRATION_STATUS says.
import { constants, verify, type KeyObject, type X509Certificate } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type Provider from 'oidc-provider';
import { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { TrustedDirectory } from '../config/trusted-directories.ts';
import { fapiMetadataProblem } from '../auth/fapi-profiles.ts';
import { OIDC_ROUTES } from '../auth/routes.ts';
import { clientCertificateChainTrusted, clientCertificateOf } from '../http/client-certificate.ts';
import { sameDistinguishedName, subjectDnOf } from '../pki/dev-pki.ts';
import type { Db } from '../store/db.ts';
import { newClientId, redirectUriProblem } from './registry.ts';

type Features = NonNullable<Configuration['features']>;
type ExtraClientMetadata = NonNullable<Configuration['extraClientMetadata']>;

/** Client metadata a registration carries beyond oidc-provider's: the statement and what it says of the TPP. */
const STATEMENT_METADATA = ['software_statement', 'software_id', 'software_version', 'org_name', 'org_registration_number'];

/**
 * What the directory vouches for. The request may repeat each (RFC 7591 §2.3: the statement's values
 * win) but never differ from it, nor add one the statement leaves out: the keys, redirect URIs and
 * name a customer trusts are the directory's, not the registrant's.
 */
const VOUCHED_METADATA = ['software_id', 'software_version', 'org_name', 'org_registration_number', 'client_name', 'redirect_uris', 'jwks', 'jwks_uri', 'token_endpoint_auth_method', 'tls_client_auth_subject_dn'];

const LIMITS = { statementChars: 16 * 1024, nameChars: 100, softwareIdChars: 100, registrationNumberChars: 100, clockSkewSeconds: 60 } as const;

export function registrationFeatures(): Pick<Features, 'registration' | 'registrationManagement'> {
  return {
    // No initial access token: the software statement is the credential (checked in the metadata validator below).
    registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: true, idFactory: newClientId },
    // RFC 7592 read, update, delete with the registration access token, which each update replaces.
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  };
}

/**
 * `extraClientMetadata`: `base` (the FAPI profile property) plus the software statement's metadata.
 * oidc-provider's metadata validators are synchronous, so the statement's signature is checked with
 * node:crypto's synchronous verify against keys loaded at start. A stored client is not checked again
 * (its statement may have expired since): only a registration or an update is.
 */
export function softwareStatementMetadata(directories: TrustedDirectory[], base: ExtraClientMetadata): ExtraClientMetadata {
  return {
    properties: [...(base.properties ?? []), ...STATEMENT_METADATA],
    validator(ctx, key, value, metadata) {
      base.validator?.(ctx, key, value, metadata);
      const request = ctx as KoaContextWithOIDC | undefined;
      const route = request?.oidc?.route;
      if (request && key === 'software_statement' && (route === 'registration' || route === 'client_update')) {
        checkRegistration(request, directories, metadata as Record<string, unknown>);
      }
    },
  };
}

function checkRegistration(ctx: KoaContextWithOIDC, directories: TrustedDirectory[], metadata: Record<string, unknown>): void {
  // The endpoint is on the mTLS listener; the registrant also shows the certificate it will use.
  const certificate = clientCertificateOf(ctx.req);
  if (!certificate) throw new errors.InvalidRequest('register over mutual TLS, presenting the client certificate you will use with the bank');

  const claims = verifiedStatement(metadata.software_statement, directories);
  const requested = (ctx.oidc.body ?? {}) as Record<string, unknown>;
  const vouched: Record<string, unknown> = { ...claims, client_name: claims.client_name ?? claims.org_name };
  for (const name of VOUCHED_METADATA) {
    if (requested[name] !== undefined && !isDeepStrictEqual(requested[name], vouched[name])) {
      throw new errors.InvalidSoftwareStatement(`${name} in the request differs from the software statement's`);
    }
    if (vouched[name] !== undefined) metadata[name] = vouched[name];
  }
  if (ctx.oidc.route === 'client_update' && ctx.oidc.client?.metadata().software_id !== metadata.software_id) {
    throw new errors.InvalidSoftwareStatement('the software statement is for other software (software_id) than this registration');
  }

  for (const uri of metadata.redirect_uris as string[]) {
    const problem = redirectUriProblem(String(uri));
    // oidc-provider answers `invalid_redirect_uri` for a description that starts with `redirect_uris`.
    if (problem) throw new errors.InvalidClientMetadata(`redirect_uris: ${problem}`);
  }
  const fapiProblem = fapiMetadataProblem(metadata as Partial<ClientMetadata>);
  if (fapiProblem) throw new errors.InvalidClientMetadata(fapiProblem);
  const certificateProblem = registeredCertificateProblem(metadata, certificate, clientCertificateChainTrusted(ctx.req));
  if (certificateProblem) throw new errors.InvalidClientMetadata(certificateProblem);
}

/** The statement's claims once its signature, issuer, times and shape are good; otherwise the RFC 7591 error. */
function verifiedStatement(statement: unknown, directories: TrustedDirectory[]): Record<string, unknown> {
  if (typeof statement !== 'string' || statement.length === 0) {
    throw new errors.InvalidSoftwareStatement('a software_statement signed by a directory the bank trusts is required');
  }
  if (statement.length > LIMITS.statementChars) throw new errors.InvalidSoftwareStatement(`the software statement is longer than ${LIMITS.statementChars} characters`);
  const segments = statement.split('.');
  if (segments.length !== 3) throw new errors.InvalidSoftwareStatement('the software statement must be a signed JWT (JWS compact serialization)');
  const [encodedHeader, encodedClaims, encodedSignature] = segments as [string, string, string];
  const header = jsonSegment(encodedHeader);
  const claims = jsonSegment(encodedClaims);
  // FAPI 1.0 Advanced 8.6: PS256 or ES256; an unsigned (`none`) statement is no statement.
  if (header.alg !== 'PS256' && header.alg !== 'ES256') throw new errors.InvalidSoftwareStatement('the software statement must be signed with PS256 or ES256');

  const directory = directories.find((d) => d.issuer === claims.iss);
  if (!directory) throw new errors.UnapprovedSoftwareStatement('the software statement was not issued (iss) by a directory this bank trusts');
  const candidates = directory.keys.filter((k) => header.kid === undefined || k.kid === header.kid);
  const signed = Buffer.from(`${encodedHeader}.${encodedClaims}`);
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (!candidates.some(({ key }) => signatureValid(header.alg as 'PS256' | 'ES256', key, signed, signature))) {
    throw new errors.InvalidSoftwareStatement(`the software statement's signature does not verify with the keys of ${directory.issuer}`);
  }

  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw new errors.InvalidSoftwareStatement('the software statement has expired (exp), or has no exp');
  if (typeof claims.iat !== 'number' || claims.iat > now + LIMITS.clockSkewSeconds) throw new errors.InvalidSoftwareStatement('the software statement has no iat, or one in the future');

  const problem = statementShapeProblem(claims);
  if (problem) throw new errors.InvalidSoftwareStatement(problem);
  return claims;
}

function jsonSegment(segment: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new errors.InvalidSoftwareStatement('the software statement must be a JWT: base64url JSON objects');
}

function signatureValid(alg: 'PS256' | 'ES256', key: KeyObject, signed: Buffer, signature: Buffer): boolean {
  try {
    return alg === 'PS256'
      ? key.asymmetricKeyType === 'rsa' && verify('sha256', signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
      : key.asymmetricKeyType === 'ec' && verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** The claims a bank needs from the directory, each of the right kind and size. */
function statementShapeProblem(claims: Record<string, unknown>): string | undefined {
  const text = (name: string, max: number, required: boolean): string | undefined => {
    const value = claims[name];
    if (value === undefined && !required) return undefined;
    return typeof value === 'string' && value.length > 0 && value.length <= max ? undefined : `the software statement needs ${name}: 1 to ${max} characters`;
  };
  const redirectUris = claims.redirect_uris;
  const keys = (claims.jwks === undefined ? 0 : 1) + (claims.jwks_uri === undefined ? 0 : 1);
  return (
    text('software_id', LIMITS.softwareIdChars, true) ??
    text('org_name', LIMITS.nameChars, true) ??
    text('client_name', LIMITS.nameChars, false) ??
    text('org_registration_number', LIMITS.registrationNumberChars, false) ??
    text('token_endpoint_auth_method', LIMITS.nameChars, true) ??
    (Array.isArray(redirectUris) && redirectUris.length > 0 && redirectUris.every((u) => typeof u === 'string') ? undefined : 'the software statement needs redirect_uris') ??
    (keys === 1 ? undefined : 'the software statement needs the TPP\'s keys: jwks or jwks_uri, one of them')
  );
}

/**
 * The registrant shows the certificate it registers: for tls_client_auth one the bank's CA chain
 * trusts with the registered subject; for self_signed_tls_client_auth the one in its JWKS (x5c).
 */
function registeredCertificateProblem(metadata: Record<string, unknown>, certificate: X509Certificate, chainTrusted: boolean): string | undefined {
  if (metadata.token_endpoint_auth_method === 'tls_client_auth') {
    const subjectDn = metadata.tls_client_auth_subject_dn;
    const matches = chainTrusted && typeof subjectDn === 'string' && sameDistinguishedName(subjectDnOf(certificate), subjectDn);
    return matches ? undefined : 'register over mutual TLS with the certificate your tls_client_auth_subject_dn names, issued by a CA the bank trusts';
  }
  if (metadata.token_endpoint_auth_method === 'self_signed_tls_client_auth') {
    const keys = (metadata.jwks as { keys?: { x5c?: unknown }[] } | undefined)?.keys ?? [];
    const der = certificate.raw.toString('base64');
    const carried = keys.some((key) => Array.isArray(key.x5c) && key.x5c[0] === der);
    return carried ? undefined : 'register over mutual TLS with the self-signed certificate your jwks carries (x5c), by value';
  }
  return undefined;
}

/**
 * A registration the bank has not activated is unknown to oidc-provider (the registry hides suspended
 * TPPs), which would answer its management requests as for a deleted client and revoke the token. This
 * answers them first, keeping the token, so the TPP can manage its registration once activated.
 */
export function awaitActivation(provider: Provider, db: Db) {
  const prefix = `${OIDC_ROUTES.registration}/`;
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    if (!ctx.path.startsWith(prefix)) return next();
    const clientId = ctx.path.slice(prefix.length);
    const tpp = await db.selectFrom('tpps').select('status').where('client_id', '=', clientId).executeTakeFirst();
    const token = /^Bearer (\S+)$/i.exec(ctx.get('authorization'))?.[1];
    if (tpp?.status !== 'suspended' || !token) return next();
    const registrationAccessToken = await provider.RegistrationAccessToken.find(token);
    if (registrationAccessToken?.clientId !== clientId) return next();
    ctx.status = 401;
    ctx.set('cache-control', 'no-store');
    ctx.set('www-authenticate', 'Bearer error="invalid_token", error_description="the registration awaits activation by the bank"');
    ctx.body = { error: 'invalid_token', error_description: 'the registration awaits activation by the bank; the registration access token stays valid' };
  };
}
