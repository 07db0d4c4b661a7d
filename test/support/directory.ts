// A TPP directory for dynamic registration tests: its signing keys, the trusted-directories file a test bank
// reads, the software statements it signs, and a TPP's own material (signing key, mTLS certificate) with
// which it registers itself at the bank (RFC 7591) and then acts as an ordinary TPP.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { fetch as undiciFetch, type Agent } from 'undici';
import { issueClientCertificate, selfSignedClientCertificate, type IssuedCertificate } from '../../src/pki/dev-pki.ts';
import { TPP_REDIRECT_URI, type TestBank } from './bank.ts';
import { mtlsAgent, TestTpp } from './tpp.ts';

export const DIRECTORY = 'https://directory.example';
const DIRECTORY_KID = 'directory-2026';

/** Writes the GINKO_TRUSTED_DIRECTORIES_FILE naming these keys (all one directory's unless their issuers differ); returns its path. */
export async function trustedDirectoriesFile(directories: Directory[]): Promise<string> {
  const byIssuer = new Map<string, JWK[]>();
  for (const directory of directories) byIssuer.set(directory.issuer, [...(byIssuer.get(directory.issuer) ?? []), await publicJwkOf(directory)]);
  const path = join(mkdtempSync(join(tmpdir(), 'ginko-directory-')), 'directories.json');
  writeFileSync(path, JSON.stringify([...byIssuer].map(([issuer, keys]) => ({ issuer, jwks: { keys } }))));
  return path;
}

export interface Directory {
  issuer: string;
  kid: string;
  alg: 'PS256' | 'ES256';
  privateKey: CryptoKey;
}

/** What a TPP holds before it registers: its signing key (request objects, client assertions) and its mTLS certificate. */
export interface TppMaterial {
  signingKey: JWK;
  publicJwks: { keys: JWK[] };
  certificate: IssuedCertificate;
  agent: Agent;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export async function newDirectory(issuer: string, alg: 'PS256' | 'ES256'): Promise<Directory> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { issuer, kid: DIRECTORY_KID, alg, privateKey };
}

export async function publicJwkOf(directory: Directory): Promise<JWK> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = await exportJWK(directory.privateKey);
  return { ...publicJwk, kid: directory.kid, use: 'sig' };
}

export async function tppMaterial(target: TestBank, certificateKind: 'self-signed' | 'ca-issued' = 'self-signed'): Promise<TppMaterial> {
  const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const subject = { commonName: `tpp-${kid.slice(0, 8)}`, organizationName: 'Kakeibo Inc.' };
  // private_key_jwt binds tokens to any certificate the TPP shows; tls_client_auth needs one the bank's CA issued.
  const certificate = certificateKind === 'ca-issued' ? await issueClientCertificate(target.pki, subject) : await selfSignedClientCertificate(subject);
  return {
    signingKey: { ...(await exportJWK(privateKey)), kid, alg: 'PS256', use: 'sig' },
    publicJwks: { keys: [{ ...publicJwk, kid, alg: 'PS256', use: 'sig' }] },
    certificate,
    agent: mtlsAgent(target, certificate),
  };
}

export const now = (): number => Math.floor(Date.now() / 1000);

/** What the directory says about the TPP; `overrides` with undefined values drop a claim. */
export async function claimsFor(material: TppMaterial, overrides: JWTPayload = {}): Promise<JWTPayload> {
  const claims: JWTPayload = {
    iss: DIRECTORY,
    iat: now(),
    exp: now() + 600,
    software_id: 'kakeibo-app',
    software_version: '1.0',
    org_name: 'Kakeibo Inc.',
    org_registration_number: '関東財務局長（電代）第99号',
    redirect_uris: [TPP_REDIRECT_URI],
    jwks: material.publicJwks,
    token_endpoint_auth_method: 'private_key_jwt',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

export async function sign(directory: Directory, claims: JWTPayload, as?: 'RS256'): Promise<string> {
  // WebCrypto ties a key to one algorithm: the same RSA key, imported again for RS256.
  const key = as === 'RS256' ? await importJWK(await exportJWK(directory.privateKey), 'RS256') : directory.privateKey;
  return new SignJWT(claims).setProtectedHeader({ alg: as ?? directory.alg, kid: directory.kid }).sign(key);
}

/**
 * The registration request (RFC 7591 §3.1): the statement, whose claims become the metadata they name
 * (§2.3), and `metadata` for the rest or repeating some of it.
 */
export function registrationBody(statement: string | undefined, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(statement === undefined ? {} : { software_statement: statement }), ...metadata };
}

export function register(target: TestBank, material: TppMaterial, statement: string | undefined, metadata: Record<string, unknown> = {}): Promise<Answer> {
  return postJson(`${target.config.mtls.publicUrl}/oauth/register`, material.agent, registrationBody(statement, metadata));
}

export async function postJson(url: string, agent: Agent, body: object): Promise<Answer> {
  const response = await undiciFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher: agent });
  return answerOf(response);
}

export async function answerOf(response: Awaited<ReturnType<typeof undiciFetch>>): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
}

export function testTpp(target: TestBank, material: TppMaterial, client: Record<string, unknown>): Promise<TestTpp> {
  return TestTpp.create(target, {
    clientId: client.client_id as string,
    metadata: client,
    signingKey: material.signingKey,
    certificatePem: material.certificate.certificatePem,
    privateKeyPem: material.certificate.privateKeyPem,
  });
}
