// Bearer tokens for the admin API, for the bank's own automation. Made only by `ginko operator token` (so making
// one needs the database, which is already the keys to everything), each for one operator, whose role it acts
// with and whose id every audit entry names; they expire (at most 90 days) and only their SHA-256 is stored.
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { hashOf } from '../web/sessions.ts';
import { OperatorError, operatorByName, type Operator } from './operators.ts';

export const API_TOKEN_DAYS_DEFAULT = 30;
export const API_TOKEN_DAYS_MAX = 90;
/** A recognisable prefix, so secret scanners and log filters can find a leaked token. */
const TOKEN_PREFIX = 'ginko_op_';
const TOKEN_LENGTH_MAX = 128;

export async function createApiToken(db: Db, input: { operatorName: string; label: string; days: number; now: Date }): Promise<{ token: string; expiresAt: Date; operator: Operator }> {
  const operator = await operatorByName(db, input.operatorName);
  if (!operator) throw new OperatorError(`there is no operator named '${input.operatorName}'`);
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > API_TOKEN_DAYS_MAX) throw new OperatorError(`a token lasts 1 to ${API_TOKEN_DAYS_MAX} days`);
  if (input.label.length === 0 || input.label.length > 100) throw new OperatorError('a token needs a label of 1 to 100 characters (what uses it)');
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(input.now.getTime() + input.days * 24 * 3600 * 1000);
  await db.insertInto('operator_api_tokens').values({ token_hash: hashOf(token), operator_id: operator.operatorId, label: input.label, expires_at: expiresAt }).execute();
  return { token, expiresAt, operator };
}

/** The operator a live token belongs to, or undefined. */
export async function operatorForApiToken(db: Db, token: string, now: Date): Promise<Operator | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > TOKEN_LENGTH_MAX) return undefined;
  const row = await db
    .selectFrom('operator_api_tokens as t')
    .innerJoin('operators as o', 'o.operator_id', 't.operator_id')
    .select(['o.operator_id', 'o.name', 'o.role'])
    .where('t.token_hash', '=', hashOf(token))
    .where('t.expires_at', '>', now)
    .executeTakeFirst();
  return row && { operatorId: row.operator_id, name: row.name, role: row.role };
}
