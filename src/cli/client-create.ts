// `ginko client create`: registers a TPP in the sandbox and writes its credentials to a folder.
// While the sandbox runs it holds the embedded store, so the registration goes through the
// sandbox's local admin endpoint; otherwise (or on PostgreSQL) straight into the store.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import type { GinkoConfig } from '../config/config.ts';
import { openStore } from '../store/db.ts';
import { readLiveLock, type SandboxLock } from '../store/embedded-lock.ts';
import { loadOrCreateDevPki } from '../pki/dev-pki.ts';
import { registerTpp, type RegisteredTpp, type TppRegistration } from '../tpp/registry.ts';
import { SANDBOX_ADMIN_PATH } from '../tpp/sandbox-admin.ts';
import { MTLS_ENDPOINTS, DISCOVERY_PATH } from '../auth/routes.ts';
import { PROFILE_METADATA } from '../auth/fapi-profiles.ts';

export async function createClient(config: GinkoConfig, registration: TppRegistration, outDir: string): Promise<{ tpp: RegisteredTpp; dir: string }> {
  const lock = config.databaseUrl ? undefined : readLiveLock(config.dataDir);
  const tpp = lock ? await registerThroughSandbox(config, lock, registration) : await registerDirectly(config, registration);
  const dir = resolve(outDir);
  writeCredentials(config, tpp, dir);
  return { tpp, dir };
}

async function registerDirectly(config: GinkoConfig, registration: TppRegistration): Promise<RegisteredTpp> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const pki = await loadOrCreateDevPki(join(config.dataDir, 'pki'), { hostnames: [] });
    return await registerTpp(store.db, pki, registration);
  } finally {
    await store.close();
  }
}

function registerThroughSandbox(config: GinkoConfig, lock: SandboxLock, registration: TppRegistration): Promise<RegisteredTpp> {
  const body = JSON.stringify(registration);
  const url = new URL(SANDBOX_ADMIN_PATH, lock.adminUrl);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        // The sandbox's certificate comes from its own CA, kept in the same data folder.
        ca: readFileSync(join(config.dataDir, 'pki', 'ca.crt'), 'utf8'),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${lock.adminToken}` },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode === 201) return resolvePromise(JSON.parse(text) as RegisteredTpp);
          let reason = text;
          try {
            reason = (JSON.parse(text) as { error_description?: string; message?: string }).error_description ?? text;
          } catch {}
          reject(new Error(`the sandbox refused the registration (${res.statusCode}): ${reason}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the sandbox did not answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

export function writeCredentials(config: GinkoConfig, tpp: RegisteredTpp, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mtlsAliases = Object.fromEntries(Object.entries(MTLS_ENDPOINTS).map(([name, path]) => [name, `${config.mtls.publicUrl}${path}`]));
  const client = {
    client_id: tpp.clientId,
    client_name: tpp.metadata.client_name,
    redirect_uris: tpp.metadata.redirect_uris,
    token_endpoint_auth_method: tpp.metadata.token_endpoint_auth_method,
    [PROFILE_METADATA]: tpp.metadata[PROFILE_METADATA] ?? '1.0',
    ...(tpp.metadata.dpop_bound_access_tokens === true ? { dpop_bound_access_tokens: true } : {}),
    // FAPI 2.0 Message Signing: the TPP signs its requests and gets JARM responses only.
    ...(tpp.metadata[PROFILE_METADATA] === '2.0' && tpp.metadata.require_signed_request_object === true ? { require_signed_request_object: true, response_modes: tpp.metadata.response_modes } : {}),
    ...(tpp.metadata.tls_client_auth_subject_dn ? { tls_client_auth_subject_dn: tpp.metadata.tls_client_auth_subject_dn } : {}),
    issuer: config.browser.publicUrl,
    discovery_url: `${config.browser.publicUrl}${DISCOVERY_PATH}`,
    mtls_endpoint_aliases: mtlsAliases,
    api_base_url: `${config.mtls.publicUrl}/api/v1`,
    files: { signing_key: 'signing-key.jwk.json', certificate: 'client.crt', certificate_key: 'client.key', ca_certificate: 'ca.crt' },
  };
  writeFileSync(join(dir, 'client.json'), `${JSON.stringify(client, null, 2)}\n`);
  writeSecret(join(dir, 'signing-key.jwk.json'), `${JSON.stringify(tpp.signingKey, null, 2)}\n`);
  writeFileSync(join(dir, 'client.crt'), tpp.certificatePem);
  writeSecret(join(dir, 'client.key'), tpp.privateKeyPem);
  writeFileSync(join(dir, 'ca.crt'), tpp.caCertificatePem);
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
