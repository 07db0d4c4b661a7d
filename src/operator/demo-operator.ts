// Sandbox only: one demo operator (role admin) with a fixed, public password, TOTP secret and admin API token,
// printed at start like the demo customer's login, so that anyone trying the sandbox can open the console and
// call the admin API. A bank makes its operators with `ginko operator create` and their tokens with
// `ginko operator token`, each shown once.
import type { Db } from '../store/db.ts';
import { hashOf } from '../web/sessions.ts';
import { API_TOKEN_DAYS_MAX } from './api-tokens.ts';
import { createOperator, operatorByName, type Operator } from './operators.ts';

export const DEMO_OPERATOR = {
  name: 'operator',
  password: 'ginko-operator-demo',
  totpSecretBase32: 'GINKOOPERATORDEMOTOTPSECRET23456',
  apiToken: 'ginko_op_sandbox-demo-token-not-for-production',
} as const;

/** Creates the demo operator once, and renews its API token's expiry on every start. */
export async function seedDemoOperator(db: Db, now: Date): Promise<void> {
  const create = () => createOperator(db, { name: DEMO_OPERATOR.name, role: 'admin', password: DEMO_OPERATOR.password, totpSecretBase32: DEMO_OPERATOR.totpSecretBase32 });
  // Two nodes starting on one empty database may both create it; the loser finds the winner's.
  const operator = (await operatorByName(db, DEMO_OPERATOR.name)) ?? (await create().then((created) => created.operator, createdElsewhere));
  const expiresAt = new Date(now.getTime() + API_TOKEN_DAYS_MAX * 24 * 3600 * 1000);
  await db
    .insertInto('operator_api_tokens')
    .values({ token_hash: hashOf(DEMO_OPERATOR.apiToken), operator_id: operator.operatorId, label: 'sandbox demo token', expires_at: expiresAt })
    .onConflict((oc) => oc.column('token_hash').doUpdateSet({ expires_at: expiresAt }))
    .execute();

  async function createdElsewhere(error: unknown): Promise<Operator> {
    const existing = await operatorByName(db, DEMO_OPERATOR.name);
    if (!existing) throw error;
    return existing;
  }
}
