// A bank in a child process, for tests that kill it: starts from the environment (GINKO_*, DATABASE_URL),
// registers a TPP when GINKO_TEST_REGISTER_TPP=1, then prints one JSON line — what the parent needs —
// and runs until it is signalled (or SIGKILLed).
import { loadConfig } from '../../src/config/config.ts';
import { startBank } from '../../src/server.ts';
import { registerTpp } from '../../src/tpp/registry.ts';
import { TPP_REDIRECT_URI } from './bank.ts';

const bank = await startBank(loadConfig());
const tpp =
  process.env.GINKO_TEST_REGISTER_TPP === '1'
    ? await registerTpp(bank.store.db, bank.pki, { name: 'Stress TPP', redirectUris: [TPP_REDIRECT_URI], authMethod: 'private_key_jwt' })
    : undefined;
const ready = {
  issuer: bank.config.browser.publicUrl,
  mtlsUrl: bank.config.mtls.publicUrl,
  caCertificatePem: bank.pki.caCertificatePem,
  ...(tpp ? { tpp: { clientId: tpp.clientId, metadata: tpp.metadata, signingKey: tpp.signingKey, certificatePem: tpp.certificatePem, privateKeyPem: tpp.privateKeyPem } } : {}),
};
process.stdout.write(`${JSON.stringify(ready)}\n`);
process.once('SIGTERM', () => {
  bank.close().then(() => process.exit(0));
});
