// `ginko operator create --role admin|auditor NAME` and `ginko operator token --operator NAME --label TEXT [--days N]`:
// the bank's operators and their admin API tokens, written straight into the store (on the embedded store, only
// while no sandbox runs on the data folder). Secrets are printed once; the store keeps only their hashes.
import { parseArgs } from 'node:util';
import type { GinkoConfig } from '../config/config.ts';
import { openStore, type Db } from '../store/db.ts';
import { acquireLock, releaseLock } from '../store/embedded-lock.ts';
import { createOperator, OPERATOR_ROLES, type OperatorRole } from '../operator/operators.ts';
import { API_TOKEN_DAYS_DEFAULT, API_TOKEN_DAYS_MAX, createApiToken } from '../operator/api-tokens.ts';

export const OPERATOR_USAGE = `  ginko operator create --role admin|auditor NAME
                                      add a console operator; prints the password and TOTP secret once
  ginko operator token --operator NAME --label TEXT [--days N]
                                      make an admin API token for NAME (1–${API_TOKEN_DAYS_MAX} days, default ${API_TOKEN_DAYS_DEFAULT}); printed once`;

export async function operatorCommand(config: GinkoConfig, subcommand: string | undefined, args: string[]): Promise<number> {
  if (subcommand === 'create') {
    const { values, positionals } = parseArgs({ args, options: { role: { type: 'string' } }, allowPositionals: true, strict: true });
    const role = values.role as OperatorRole | undefined;
    if (positionals.length !== 1 || !role || !OPERATOR_ROLES.includes(role)) {
      console.error(`operator create needs --role ${OPERATOR_ROLES.join('|')} and one NAME`);
      return 2;
    }
    const created = await withStore(config, (db) => createOperator(db, { name: positionals[0]!, role }));
    console.log(`Operator ${created.operator.name} (${created.operator.role}) created. Shown once; give them to the operator:
  Password:     ${created.password}
  TOTP secret:  ${created.totpSecretBase32}
  otpauth URI:  ${created.otpauthUri}
The console is at /operator on the browser listener.`);
    return 0;
  }
  if (subcommand === 'token') {
    const { values } = parseArgs({ args, options: { operator: { type: 'string' }, label: { type: 'string' }, days: { type: 'string' } }, strict: true });
    if (!values.operator || !values.label) {
      console.error('operator token needs --operator NAME and --label TEXT (what will use the token)');
      return 2;
    }
    const days = values.days === undefined ? API_TOKEN_DAYS_DEFAULT : Number(values.days);
    const made = await withStore(config, (db) => createApiToken(db, { operatorName: values.operator!, label: values.label!, days, now: new Date() }));
    console.log(`Admin API token for ${made.operator.name} (${made.operator.role}), valid until ${made.expiresAt.toISOString()}. Shown once:
  ${made.token}
Use it as  Authorization: Bearer <token>  on /admin/api/v1 (browser listener).`);
    return 0;
  }
  console.error(`unknown operator command\n${OPERATOR_USAGE}`);
  return 2;
}

async function withStore<T>(config: GinkoConfig, work: (db: Db) => Promise<T>): Promise<T> {
  // The embedded store must not be opened beside a running sandbox; acquireLock says so.
  const lock = config.databaseUrl ? undefined : acquireLock(config.dataDir, config.browser.publicUrl);
  try {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      return await work(store.db);
    } finally {
      await store.close();
    }
  } finally {
    if (lock) releaseLock(config.dataDir, lock);
  }
}
