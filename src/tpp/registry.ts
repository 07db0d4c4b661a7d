// Registering a TPP in the sandbox: its client metadata goes into the registry, and it receives the
// credentials a FAPI client needs — a signing key for request objects and client assertions, and an
// mTLS certificate (issued by the sandbox CA, or self-signed for self_signed_tls_client_auth).
import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { FAPI_CLIENT_METADATA } from '../auth/provider.ts';
import { fapi2ClientMetadata, SENDER_CONSTRAINTS, type SenderConstraint } from '../auth/fapi-profiles.ts';
import type { Db } from '../store/db.ts';
import { issueClientCertificate, selfSignedClientCertificate, type DevPki } from '../pki/dev-pki.ts';

export const TPP_AUTH_METHODS = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
export type TppAuthMethod = (typeof TPP_AUTH_METHODS)[number];
/** FAPI 1.0 Advanced (the default) or the FAPI 2.0 Security Profile. */
export const TPP_PROFILES = ['fapi1', 'fapi2'] as const;
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
}

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

const LIMITS = { nameChars: 100, redirectUris: 10, redirectUriChars: 2000, registrationNumberChars: 100 } as const;

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
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new TppRegistrationError(`redirect URI '${uri}' is not an absolute URL`);
    }
    // FAPI 1.0 Advanced 5.2.2-20: redirect URIs use https; no fragments (RFC 6749 §3.1.2).
    if (url.protocol !== 'https:' || url.hash || uri.length > LIMITS.redirectUriChars) {
      throw new TppRegistrationError(`redirect URI '${uri}' must be an https URL without a fragment, at most ${LIMITS.redirectUriChars} characters`);
    }
  }
  if (input.registrationNumber !== undefined && input.registrationNumber.length > LIMITS.registrationNumberChars) {
    throw new TppRegistrationError(`the registration number must be at most ${LIMITS.registrationNumberChars} characters`);
  }
  return { ...input, name };
}

export async function registerTpp(db: Db, pki: DevPki, input: TppRegistration): Promise<RegisteredTpp> {
  const registration = validateRegistration(input);
  const clientId = `tpp-${randomBytes(12).toString('base64url')}`;
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

  const metadata: Record<string, unknown> = {
    client_name: registration.name,
    redirect_uris: registration.redirectUris,
    token_endpoint_auth_method: registration.authMethod,
    jwks: { keys },
    ...FAPI_CLIENT_METADATA,
    ...(registration.profile === 'fapi2' ? fapi2ClientMetadata(registration.senderConstraint ?? 'mtls') : {}),
    ...(registration.authMethod === 'private_key_jwt' ? { token_endpoint_auth_signing_alg: 'PS256' } : {}),
    ...(registration.authMethod === 'tls_client_auth' ? { tls_client_auth_subject_dn: certificate.subjectDn } : {}),
  };

  await db
    .insertInto('tpps')
    .values({
      client_id: clientId,
      name: registration.name,
      registration_number: registration.registrationNumber ?? null,
      status: 'active',
      metadata: JSON.stringify(metadata),
    })
    .execute();

  return { clientId, metadata, signingKey, certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem, subjectDn: certificate.subjectDn, caCertificatePem: pki.caCertificatePem };
}
