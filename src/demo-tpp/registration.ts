// The sandbox's side of the demo TPP: on first start it registers the demo exactly as `ginko client create`
// would (the registry and the CLI's credential files) and keeps the folder in the data folder, so later starts
// reuse the same client. A folder whose client the registry no longer has (a reset database) or whose
// redirect URI is not the demo's current one is replaced by a new registration.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GinkoConfig } from '../config/config.ts';
import type { RunningBank } from '../server.ts';
import { registerTpp } from '../tpp/registry.ts';
import { writeCredentials } from '../cli/client-create.ts';
import { readCredentials } from './credentials.ts';
import { startDemoTpp, type RunningDemoTpp } from './app.ts';

export const DEMO_TPP_NAME = 'かんたん家計簿';
/** The demo's one redirect URI: links and transfer approvals both come back here. */
export const DEMO_CALLBACK_PATH = '/callback';

/** The demo's credentials folder, registered if need be; its path. */
export async function ensureDemoTppRegistered(bank: Pick<RunningBank, 'config' | 'store' | 'pki'>, publicUrl: string): Promise<string> {
  const dir = join(bank.config.dataDir, 'demo-tpp');
  const redirectUri = `${publicUrl}${DEMO_CALLBACK_PATH}`;
  if (existsSync(join(dir, 'client.json'))) {
    const current = readCredentials(dir);
    const known = await bank.store.db.selectFrom('tpps').select('client_id').where('client_id', '=', current.clientId).where('status', '=', 'active').executeTakeFirst();
    if (known && current.redirectUris.includes(redirectUri) && current.issuer === bank.config.browser.publicUrl) return dir;
  }
  const tpp = await registerTpp(bank.store.db, bank.pki, { name: DEMO_TPP_NAME, redirectUris: [redirectUri], authMethod: 'private_key_jwt' });
  writeCredentials(bank.config, tpp, dir);
  return dir;
}

/** `ginko start`: the demo registered (or reused), served on its port with the sandbox's dev server certificate. */
export async function startDemoTppBesideBank(bank: Pick<RunningBank, 'config' | 'store' | 'pki'>, settings: NonNullable<GinkoConfig['demoTpp']>, logger: Logger): Promise<RunningDemoTpp> {
  return startDemoTpp({
    credentialsDir: await ensureDemoTppRegistered(bank, settings.publicUrl),
    host: bank.config.browser.host,
    port: settings.port,
    publicUrl: settings.publicUrl,
    tls: { certificatePem: bank.pki.serverCertificatePem, privateKeyPem: bank.pki.serverPrivateKeyPem },
    logger,
  });
}
