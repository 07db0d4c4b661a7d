// Registering a TPP in the sandbox: its client metadata goes into the registry, and it receives the
// credentials a FAPI client needs — a signing key for request objects and client assertions, and an
// mTLS certificate (issued by the sandbox CA, or self-signed for self_signed_tls_client_auth).
import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { FAPI_CLIENT_METADATA } from '../auth/provider.ts';
import { fapi2ClientMetadata, SENDER_CONSTRAINTS, type SenderConstraint } from '../auth/fapi-profiles.ts';
import type { Db } from '../store/db.ts';
import { canonicalDistinguishedName, issueClientCertificate, selfSignedClientCertificate, type DevPki } from '../pki/dev-pki.ts';
import { SCOPES } from '../auth/scopes.ts';
import { LogoError, validateLogoUri } from './logo.ts';

export const TPP_AUTH_METHODS = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
export type TppAuthMethod = (typeof TPP_AUTH_METHODS)[number];
/** FAPI 1.0 Advanced (the default), the FAPI 2.0 Security Profile, or FAPI 2.0 with Message Signing (signed requests and responses). */
export const TPP_PROFILES = ['fapi1', 'fapi2', 'fapi2-message-signing'] as const;
export type TppProfile = (typeof TPP_PROFILES)[number];

export interface TppRegistration {
  name: string;
  redirectUris: string[];
  authMethod: TppAuthMethod;
  profile?: TppProfile | undefined;
  /** FAPI 2.0 only: tokens bound to the TLS certificate (default) or to a DPoP key. */
  senderConstraint?: SenderConstraint | undefined;
  /** 電子決済等代行業者 登録番号, e.g. '関東財務局長（電代）第1号'. */
  registrationNumber?: string | undefined;
  /** Whom the bank calls about the TPP: an e-mail address or phone number. */
  contact?: string | undefined;
  /** Shown on the consent page: an https URL or an image data URL (logo.ts). */
  logoUri?: string | undefined;
  /** The scopes it may ask for (with openid); all of them when absent. */
  scopes?: string[] | undefined;
}

/** A TPP that brings its own credentials (the operator's onboarding): its public keys and, for mTLS, its subject. */
export interface TppCredentials {
  /** RFC 4514; required for tls_client_auth, whose certificate must name exactly this subject. */
  tlsClientAuthSubjectDn?: string | undefined;
  /** Its public signing keys (request objects, private_key_jwt), inline or where it publishes them. */
  jwks?: { keys: JWK[] } | undefined;
  jwksUri?: string | undefined;
}

/** The auth methods a TPP bringing its own credentials may use. */
export const ONBOARDING_AUTH_METHODS = ['tls_client_auth', 'private_key_jwt'] as const;

export interface RegisteredTpp {
  clientId: string;
  metadata: Record<string, unknown>;
  /** Private JWK (PS256) for request objects and private_key_jwt assertions. */
  signingKey: JWK;
  /** The mTLS client certificate and its key, PEM. */
  certificatePem: string;
  privateKeyPem: string;
  subjectDn: string;
  /** The sandbox CA, which the TPP trusts for the bank's server certificate. */
  caCertificatePem: string;
}

export class TppRegistrationError extends Error {
  override name = 'TppRegistrationError';
}

const LIMITS = { nameChars: 100, redirectUris: 10, redirectUriChars: 2000, registrationNumberChars: 100, contactChars: 200, jwksKeys: 10, jwksUriChars: 2000 } as const;

export function validateRegistration(input: TppRegistration): TppRegistration {
  const name = input.name.trim();
  if (name.length === 0 || name.length > LIMITS.nameChars) throw new TppRegistrationError(`the TPP name must be 1 to ${LIMITS.nameChars} characters`);
  if (!TPP_AUTH_METHODS.includes(input.authMethod)) {
    throw new TppRegistrationError(`unknown auth method '${input.authMethod}': use one of ${TPP_AUTH_METHODS.join(', ')}`);
  }
  const profile = input.profile ?? 'fapi1';
  if (!TPP_PROFILES.includes(profile)) throw new TppRegistrationError(`unknown profile '${profile}': use one of ${TPP_PROFILES.join(', ')}`);
  if (input.senderConstraint !== undefined && !SENDER_CONSTRAINTS.includes(input.senderConstraint)) {
    throw new TppRegistrationError(`unknown sender constraint '${input.senderConstraint}': use one of ${SENDER_CONSTRAINTS.join(', ')}`);
  }
  // FAPI 1.0 Advanced binds tokens to certificates only (5.2.2-5).
  if (profile === 'fapi1' && input.senderConstraint === 'dpop') throw new TppRegistrationError('DPoP-bound tokens need the fapi2 profile');
  if (input.redirectUris.length === 0 || input.redirectUris.length > LIMITS.redirectUris) {
    throw new TppRegistrationError(`give 1 to ${LIMITS.redirectUris} redirect URIs`);
  }
  for (const uri of input.redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new TppRegistrationError(problem);
  }
  if (input.registrationNumber !== undefined && input.registrationNumber.length > LIMITS.registrationNumberChars) {
    throw new TppRegistrationError(`the registration number must be at most ${LIMITS.registrationNumberChars} characters`);
  }
  if (input.contact !== undefined && input.contact.length > LIMITS.contactChars) throw new TppRegistrationError(`the contact must be at most ${LIMITS.contactChars} characters`);
  if (input.scopes !== undefined) {
    const unknown = input.scopes.filter((scope) => !SCOPES.has(scope));
    if (unknown.length > 0) throw new TppRegistrationError(`unknown scope '${unknown[0]}': use some of ${[...SCOPES.keys()].join(', ')}`);
    if (!input.scopes.includes('openid')) throw new TppRegistrationError('the allowed scopes must include openid');
  }
  let logoUri: string | undefined;
  try {
    logoUri = input.logoUri === undefined ? undefined : validateLogoUri(input.logoUri);
  } catch (error) {
    if (error instanceof LogoError) throw new TppRegistrationError(error.message);
    throw error;
  }
  return { ...input, name, logoUri, scopes: input.scopes && [...new Set(input.scopes)] };
}

/** Checks credentials a TPP brings: public keys only, a well-formed DN, an https jwks_uri. */
export function validateCredentials(authMethod: TppAuthMethod, input: TppCredentials): TppCredentials {
  if (!(ONBOARDING_AUTH_METHODS as readonly string[]).includes(authMethod)) {
    throw new TppRegistrationError(`a TPP with its own credentials uses ${ONBOARDING_AUTH_METHODS.join(' or ')}`);
  }
  if ((input.jwks === undefined) === (input.jwksUri === undefined)) throw new TppRegistrationError('give either jwks or jwksUri (the TPP signs its request objects)');
  if (input.jwks) {
    const keys = input.jwks.keys;
    if (keys.length === 0 || keys.length > LIMITS.jwksKeys) throw new TppRegistrationError(`jwks must hold 1 to ${LIMITS.jwksKeys} keys`);
    // A private key here would be a TPP's secret in the bank's database (and in its own client metadata).
    if (keys.some((key) => ['d', 'p', 'q', 'k'].some((member) => member in key))) throw new TppRegistrationError('jwks must hold public keys only');
  }
  if (input.jwksUri !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(input.jwksUri);
    } catch {}
    if (url?.protocol !== 'https:' || input.jwksUri.length > LIMITS.jwksUriChars) throw new TppRegistrationError(`jwksUri must be an https URL of at most ${LIMITS.jwksUriChars} characters`);
  }
  if (authMethod === 'tls_client_auth') {
    if (!input.tlsClientAuthSubjectDn) throw new TppRegistrationError('tls_client_auth needs the certificate subject DN (tlsClientAuthSubjectDn)');
    try {
      return { ...input, tlsClientAuthSubjectDn: canonicalDistinguishedName(input.tlsClientAuthSubjectDn) };
    } catch (error) {
      throw new TppRegistrationError(`tlsClientAuthSubjectDn is not an RFC 4514 DN: ${(error as Error).message}`);
    }
  }
  if (input.tlsClientAuthSubjectDn !== undefined) throw new TppRegistrationError('a certificate subject is registered for tls_client_auth only');
  return input;
}

/** The client metadata of a TPP, from its registration and the credentials it is known by. (The logo is the registry's own column: oidc-provider's logo_uri takes no data URL.) */
export function clientMetadataOf(registration: TppRegistration, credentials: TppCredentials): Record<string, unknown> {
  return {
    client_name: registration.name,
    redirect_uris: registration.redirectUris,
    token_endpoint_auth_method: registration.authMethod,
    ...credentialMetadataOf(registration.authMethod, credentials),
    ...FAPI_CLIENT_METADATA,
    ...(registration.profile === 'fapi2' || registration.profile === 'fapi2-message-signing' ? fapi2ClientMetadata(registration.senderConstraint ?? 'mtls', registration.profile === 'fapi2-message-signing') : {}),
    ...(registration.authMethod === 'private_key_jwt' ? { token_endpoint_auth_signing_alg: 'PS256' } : {}),
    ...(registration.scopes ? { scope: registration.scopes.join(' ') } : {}),
  };
}

/** The client metadata that names a TPP's credentials: its keys (inline or by URL) and, for tls_client_auth, its subject. */
export function credentialMetadataOf(authMethod: TppAuthMethod, credentials: TppCredentials): Record<string, unknown> {
  return {
    ...(credentials.jwks ? { jwks: credentials.jwks } : { jwks_uri: credentials.jwksUri }),
    ...(authMethod === 'tls_client_auth' ? { tls_client_auth_subject_dn: credentials.tlsClientAuthSubjectDn } : {}),
  };
}

/**
 * Onboards a TPP that holds its own keys and certificate (the operator's console and admin API). `checkMetadata`
 * is oidc-provider's own client validation, so a TPP is never stored that the authorization server would refuse.
 */
export async function onboardTpp(db: Db, input: TppRegistration & TppCredentials, checkMetadata: (metadata: Record<string, unknown>) => Promise<void>): Promise<{ clientId: string; metadata: Record<string, unknown> }> {
  const registration = validateRegistration(input);
  const credentials = validateCredentials(registration.authMethod, input);
  const clientId = newClientId();
  const metadata = clientMetadataOf(registration, credentials);
  await checkMetadata({ ...metadata, client_id: clientId });
  await insertTpp(db, clientId, registration, metadata);
  return { clientId, metadata };
}

/** Stores a new, active TPP. */
export async function insertTpp(db: Db, clientId: string, registration: TppRegistration, metadata: Record<string, unknown>): Promise<void> {
  await db
    .insertInto('tpps')
    .values({
      client_id: clientId,
      name: registration.name,
      registration_number: registration.registrationNumber ?? null,
      contact: registration.contact ?? null,
      logo_uri: registration.logoUri ?? null,
      status: 'active',
      metadata: JSON.stringify(metadata),
    })
    .execute();
}

/** Why a redirect URI cannot be registered, or undefined. Also the rule for dynamic registration (registration.ts). */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect URI '${uri}' is not an absolute URL`;
  }
  // FAPI 1.0 Advanced 5.2.2-20: redirect URIs use https; no fragments (RFC 6749 §3.1.2).
  if (url.protocol !== 'https:' || url.hash || uri.length > LIMITS.redirectUriChars) {
    return `redirect URI '${uri}' must be an https URL without a fragment, at most ${LIMITS.redirectUriChars} characters`;
  }
  return undefined;
}

/** A new TPP's client id: random, and recognisably a TPP's. */
export function newClientId(): string {
  return `tpp-${randomBytes(12).toString('base64url')}`;
}

export async function registerTpp(db: Db, pki: DevPki, input: TppRegistration): Promise<RegisteredTpp> {
  const registration = validateRegistration(input);
  const clientId = newClientId();
  const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'PS256', use: 'sig' };

  const subject = { commonName: clientId, organizationName: registration.name };
  const certificate =
    registration.authMethod === 'self_signed_tls_client_auth'
      ? await selfSignedClientCertificate(subject, { keyType: 'EC' })
      : await issueClientCertificate(pki, subject, { keyType: 'EC' });

  const keys: JWK[] = [{ ...publicJwk, kid, alg: 'PS256', use: 'sig' }];
  if (registration.authMethod === 'self_signed_tls_client_auth') {
    // RFC 8705 §2.2: the self-signed certificate is registered through the client's JWKS (x5c).
    const der = new X509Certificate(certificate.certificatePem).raw.toString('base64');
    const certificatePublicJwk = await exportJWK(createPublicKey(certificate.privateKeyPem));
    keys.push({ ...certificatePublicJwk, kid: `${kid}-mtls`, use: 'sig', x5c: [der] } as JWK);
  }

  const metadata = clientMetadataOf(registration, { jwks: { keys }, tlsClientAuthSubjectDn: certificate.subjectDn });
  await insertTpp(db, clientId, registration, metadata);

  return { clientId, metadata, signingKey, certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem, subjectDn: certificate.subjectDn, caCertificatePem: pki.caCertificatePem };
}

/** What the consent page shows of a TPP besides its name: its 登録番号 and logo, when it has them. */
export async function tppShownToCustomers(db: Db, clientId: string): Promise<{ registrationNumber: string | undefined; logoUri: string | undefined }> {
  const row = await db.selectFrom('tpps').select(['registration_number', 'logo_uri']).where('client_id', '=', clientId).executeTakeFirst();
  return { registrationNumber: row?.registration_number ?? undefined, logoUri: row?.logo_uri ?? undefined };
}
