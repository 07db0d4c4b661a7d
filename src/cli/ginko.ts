// The `ginko` command: start the sandbox, apply migrations, make shared keys, register a TPP.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.ts';
import { openStore } from '../store/db.ts';
import { acquireLock, releaseLock, StoreInUseError } from '../store/embedded-lock.ts';
import { createKeysFile, keysFileOf, rotateKeysFile } from '../auth/keys.ts';
import pino from 'pino';
import { startBank } from '../server.ts';
import { startDemoTppBesideBank } from '../demo-tpp/registration.ts';
import { DEMO_CUSTOMERS } from '../bank/demo-data.ts';
import { DEMO_TOTP_SECRETS } from '../bank/demo-totp.ts';
import { printDemoTotp } from './totp.ts';
import { TPP_AUTH_METHODS, TppRegistrationError, type TppAuthMethod, type TppProfile } from '../tpp/registry.ts';
import type { SenderConstraint } from '../auth/fapi-profiles.ts';
import { createClient } from './client-create.ts';
import { auditVerify } from './audit-verify.ts';
import { OPERATOR_USAGE, operatorCommand } from './operator.ts';
import { OperatorError } from '../operator/operators.ts';
import { DEMO_OPERATOR } from '../operator/demo-operator.ts';
import { DISCOVERY_PATH } from '../auth/routes.ts';

const USAGE = `Usage:
  ginko start                         run the sandbox bank
  ginko migrate                       apply database migrations and exit
  ginko totp LOGIN_ID                 print a demo customer's current one-time code (transfer approvals)
  ginko audit verify                  check the audit log's hash chain; exit 1 at the first edited, deleted or moved entry
  ginko keys create --out FILE        make authorization-server keys for GINKO_KEYS_FILE (every node loads the same file)
  ginko keys rotate [--publish-lead-seconds N]
                                      add the next signing keys to the keys file: in the JWKS now, signing after N
                                      seconds (default GINKO_KEY_PUBLISH_LEAD_SECONDS); the old keys leave the JWKS
                                      once everything they signed has expired
  ginko client create --name NAME --redirect-uri URI [--redirect-uri URI…]
                      --auth private_key_jwt|tls_client_auth|self_signed_tls_client_auth
                      [--profile fapi1|fapi2|fapi2-message-signing] [--sender-constraint mtls|dpop]   (FAPI 1.0 Advanced by default; DPoP with fapi2*)
                      [--registration-number TEXT] [--out DIR]
                                      register a TPP and write its credentials to DIR (default ./tpp-client)
${OPERATOR_USAGE}

Configuration comes from the environment and GINKO_CONFIG_FILE: see README.md (GINKO_DATA_DIR, DATABASE_URL, GINKO_PORT, …).`;

async function main(argv: string[]): Promise<number> {
  const [command, subcommand] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'migrate':
      return migrate();
    case 'totp':
      return printDemoTotp(argv.slice(1));
    case 'client':
      if (subcommand === 'create') return clientCreate(argv.slice(2));
      break;
    case 'operator':
      return operatorCommand(loadConfig(), subcommand, argv.slice(2));
    case 'audit':
      if (subcommand === 'verify') return auditVerify(loadConfig());
      break;
    case 'keys':
      if (subcommand === 'create') return keysCreate(argv.slice(2));
      if (subcommand === 'rotate') return keysRotate(argv.slice(2));
      break;
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
  }
  console.error(`unknown command: ${argv.join(' ')}\n\n${USAGE}`);
  return 2;
}

async function start(): Promise<number> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const bank = await startBank(config, logger);
  // The demo TPP app beside the sandbox (README: The demo TPP app); the bank stops with it if it cannot start.
  const demoTpp = config.demoTpp && (await startDemoTppBesideBank(bank, config.demoTpp, logger).catch(async (error: unknown) => {
    await bank.close();
    throw error;
  }));
  const demo = DEMO_CUSTOMERS[0]!;
  console.log(`
Ginko sandbox bank is running.
  Issuer, login and consent:  ${config.browser.publicUrl}
  Discovery:                  ${config.browser.publicUrl}${DISCOVERY_PATH}
  mTLS endpoints and APIs:    ${config.mtls.publicUrl}  (bank APIs under /api/v1)
  API reference and guide:    ${config.browser.publicUrl}/docs
${demoTpp ? `  Demo TPP app (kakeibo):     ${config.demoTpp!.publicUrl}  (open it to link the demo customer's account)\n` : ''}${config.metrics ? `  Metrics and probes:         http://${config.metrics.host}:${config.metrics.port}/metrics\n` : ''}  Data folder:                ${config.dataDir}${config.databaseUrl ? '' : ' (embedded PostgreSQL)'}
  Dev CA certificate:         ${config.dataDir}/pki/ca.crt

Demo customer login: ${demo.loginId} / ${demo.password} and a one-time code: npx ginko totp ${demo.loginId}
  (or add the secret ${DEMO_TOTP_SECRETS[demo.loginId]} to an authenticator app); the same code approves transfers.
  A passkey can be added at ${config.browser.publicUrl}/my/passkeys and then replaces all three.

Operator console: ${config.browser.publicUrl}/operator  (demo operator, role admin: ${DEMO_OPERATOR.name} / ${DEMO_OPERATOR.password};
  one-time code: npx ginko totp ${DEMO_OPERATOR.name}, or the secret ${DEMO_OPERATOR.totpSecretBase32})
Admin API: ${config.browser.publicUrl}/admin/api/v1  (Authorization: Bearer ${DEMO_OPERATOR.apiToken})

Register a TPP (in another terminal):
  npx ginko client create --name "My App" --redirect-uri https://localhost:4000/callback --auth private_key_jwt --out ./my-tpp

Press Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('\nStopping…');
  await demoTpp?.close();
  await bank.close();
  return 0;
}

async function migrate(): Promise<number> {
  const config = loadConfig();
  // The embedded store must not be opened beside a running sandbox; PostgreSQL serialises migrations itself.
  const lock = config.databaseUrl ? undefined : acquireLock(config.dataDir, config.browser.publicUrl);
  try {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    await store.close();
  } finally {
    if (lock) releaseLock(config.dataDir, lock);
  }
  console.log('migrations applied');
  return 0;
}

async function keysCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
  if (!values.out) {
    console.error(`keys create needs --out FILE\n\n${USAGE}`);
    return 2;
  }
  if (existsSync(values.out)) {
    console.error(`ginko: ${values.out} exists: keys are never overwritten (replacing them ends every session and token); choose another path`);
    return 2;
  }
  await createKeysFile(values.out);
  console.log(`Keys written to ${values.out} (readable by this user only). Give every node the same file: GINKO_KEYS_FILE=${values.out}`);
  return 0;
}

async function keysRotate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'publish-lead-seconds': { type: 'string' } }, strict: true });
  const config = loadConfig();
  const lead = values['publish-lead-seconds'];
  const publishLeadSeconds = lead === undefined ? config.keyPublishLeadSeconds : Number(lead);
  // Every node must have re-read the file (and so publish the new keys) before any of them signs with them.
  if (!Number.isInteger(publishLeadSeconds) || publishLeadSeconds <= config.keysReloadSeconds) {
    console.error(`ginko: --publish-lead-seconds must be a whole number above GINKO_KEYS_RELOAD_SECONDS (${config.keysReloadSeconds}), so that every node publishes the new keys before any signs with them`);
    return 2;
  }
  const file = keysFileOf(config);
  const rotated = await rotateKeysFile(file, { publishLeadSeconds });
  const added = rotated.signingKeys.filter((key) => key.publishFromMs < key.signFromMs && key.signFromMs > Date.now());
  console.log(`New signing keys in ${file}: ${added.map((key) => `${key.jwk.alg} ${key.jwk.kid}`).join(', ')}.
They are in the JWKS from now and sign from ${new Date(added[0]!.signFromMs).toISOString()}; every node re-reads the file within ${config.keysReloadSeconds} s.`);
  return 0;
}

async function clientCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      auth: { type: 'string' },
      profile: { type: 'string', default: 'fapi1' },
      'sender-constraint': { type: 'string' },
      'registration-number': { type: 'string' },
      out: { type: 'string', default: './tpp-client' },
    },
    strict: true,
  });
  const auth = values.auth as TppAuthMethod | undefined;
  if (!values.name || !values['redirect-uri']?.length || !auth || !TPP_AUTH_METHODS.includes(auth)) {
    console.error(`client create needs --name, at least one --redirect-uri and --auth ${TPP_AUTH_METHODS.join('|')}\n\n${USAGE}`);
    return 2;
  }
  // The registry checks both (and says which values exist).
  const profile = values.profile as TppProfile;
  const senderConstraint = values['sender-constraint'] as SenderConstraint | undefined;
  const { tpp, dir } = await createClient(
    loadConfig(),
    { name: values.name, redirectUris: values['redirect-uri'], authMethod: auth, profile, senderConstraint, registrationNumber: values['registration-number'] },
    values.out!,
  );
  console.log(`Registered TPP "${values.name}" as client_id ${tpp.clientId}.\nCredentials written to ${dir}: client.json, signing-key.jwk.json, client.crt, client.key, ca.crt`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof StoreInUseError || error instanceof TppRegistrationError || error instanceof OperatorError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`ginko: ${error.message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
