// What the demo knows about itself and the bank: nothing but the folder `ginko client create` writes
// (client.json, signing-key.jwk.json, client.crt, client.key, ca.crt) — the same files a real TPP gets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { ClientTls } from './mtls-fetch.ts';

export interface DemoTppCredentials extends ClientTls {
  clientId: string;
  redirectUris: string[];
  issuer: string;
  /** e.g. https://localhost:8444/api/v1 */
  apiBaseUrl: string;
  /** Private JWK (PS256) for request objects and private_key_jwt client assertions. */
  signingKey: JWK;
}

interface ClientFile {
  client_id: string;
  redirect_uris: string[];
  issuer: string;
  api_base_url: string;
  files: { signing_key: string; certificate: string; certificate_key: string; ca_certificate: string };
}

export function readCredentials(dir: string): DemoTppCredentials {
  const client = JSON.parse(readFileSync(join(dir, 'client.json'), 'utf8')) as ClientFile;
  const file = (name: keyof ClientFile['files']) => readFileSync(join(dir, client.files[name]), 'utf8');
  return {
    clientId: client.client_id,
    redirectUris: client.redirect_uris,
    issuer: client.issuer,
    apiBaseUrl: client.api_base_url,
    signingKey: JSON.parse(file('signing_key')) as JWK,
    certificatePem: file('certificate'),
    privateKeyPem: file('certificate_key'),
    caCertificatePem: file('ca_certificate'),
  };
}
