// The bank's automation calling the admin API with an operator API token, and a TPP's own credentials as it
// would bring them to onboarding (a signing key it made, a certificate with a subject of its choosing).
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { Agent, fetch } from 'undici';
import { issueClientCertificate, type IssuedCertificate } from '../../src/pki/dev-pki.ts';
import { DEMO_OPERATOR } from '../../src/operator/demo-operator.ts';
import type { TestBank } from './bank.ts';

export interface AdminResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Calls /admin/api/v1 as the demo operator unless given another token (null: none at all). */
export class AdminApiClient {
  private readonly agent: Agent;

  /** `baseUrl`: one node's own browser listener, to ask that node and no other (default: the bank's public URL). */
  constructor(
    bank: TestBank,
    private readonly baseUrl = bank.config.browser.publicUrl,
  ) {
    this.agent = new Agent({ connect: { ca: bank.pki.caCertificatePem } });
  }

  async call(method: string, path: string, body?: unknown, token: string | null = DEMO_OPERATOR.apiToken): Promise<AdminResponse> {
    const response = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), token);
    const text = await response.text();
    return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
  }

  /** A raw body, sent as JSON (for bodies that are not JSON at all). */
  send(method: string, path: string, body: string | undefined, token: string | null = DEMO_OPERATOR.apiToken) {
    return fetch(`${this.baseUrl}/admin/api/v1${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
      dispatcher: this.agent,
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export interface TppOwnCredentials {
  publicJwk: JWK;
  signingKey: JWK;
  certificate: IssuedCertificate;
}

/** A TPP's signing key (PS256) and an mTLS certificate from the sandbox CA with the subject it chose. */
export async function tppOwnCredentials(bank: TestBank, commonName: string): Promise<TppOwnCredentials> {
  const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    publicJwk: { ...publicJwk, kid, alg: 'PS256', use: 'sig' },
    signingKey: { ...(await exportJWK(privateKey)), kid, alg: 'PS256', use: 'sig' },
    certificate: await issueClientCertificate(bank.pki, { commonName, organizationName: 'Kakeibo KK' }),
  };
}
