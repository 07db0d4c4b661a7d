// The bank's operators: people who onboard, watch and suspend TPPs. Not customers: their own table, their own
// login (scrypt password and an RFC 6238 code, both required; five wrong tries lock the login for 15 minutes),
// and a role. `admin` may change things; `auditor` may only look.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { hashPassword, PASSWORD_MAX_LENGTH, verifyPasswordOrDecoy } from '../bank/passwords.ts';
import { matchingTotpStep, newTotpSecretBase32 } from '../bank/totp.ts';

export const OPERATOR_ROLES = ['admin', 'auditor'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface Operator {
  operatorId: string;
  name: string;
  role: OperatorRole;
}

/** Lower-case login names, as the column's CHECK allows. */
export const OPERATOR_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Wrong passwords or codes in a row before the login locks. */
const FAILED_LOGINS_MAX = 5;
const LOCK_MS = 15 * 60 * 1000;
/** Random passwords `ginko operator create` makes: 144 bits. */
const PASSWORD_BYTES = 18;
/** Name shown in authenticator apps beside the operator's name. */
const TOTP_ISSUER = 'Ginko Bank operators';

export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** Whether the role may change anything (onboard, rotate, suspend, revoke); every role may look. */
export function mayChange(role: OperatorRole): boolean {
  return role === 'admin';
}

export interface NewOperator {
  operator: Operator;
  /** Shown once: only its scrypt hash is kept. */
  password: string;
  totpSecretBase32: string;
  /** The otpauth:// URI an authenticator app reads (as a QR code or pasted). */
  otpauthUri: string;
}

/** Creates an operator with a random password and TOTP secret unless given (the sandbox's demo operator is fixed). */
export async function createOperator(db: Db, input: { name: string; role: OperatorRole; password?: string; totpSecretBase32?: string }): Promise<NewOperator> {
  if (!OPERATOR_NAME_PATTERN.test(input.name)) throw new OperatorError(`operator names are 1 to 64 of a-z 0-9 . _ - (starting with a letter or digit): '${input.name}' is not one`);
  if (!OPERATOR_ROLES.includes(input.role)) throw new OperatorError(`unknown role '${input.role}': use one of ${OPERATOR_ROLES.join(', ')}`);
  const existing = await db.selectFrom('operators').select('operator_id').where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new OperatorError(`an operator named '${input.name}' exists already`);
  const password = input.password ?? randomBytes(PASSWORD_BYTES).toString('base64url');
  const totpSecretBase32 = input.totpSecretBase32 ?? newTotpSecretBase32();
  const operator: Operator = { operatorId: `op-${randomUUID()}`, name: input.name, role: input.role };
  await db
    .insertInto('operators')
    .values({ operator_id: operator.operatorId, name: operator.name, role: operator.role, password_hash: await hashPassword(password), totp_secret_base32: totpSecretBase32, totp_last_used_step: null, locked_until: null })
    .execute();
  const label = encodeURIComponent(`${TOTP_ISSUER}:${operator.name}`);
  const otpauthUri = `otpauth://totp/${label}?secret=${totpSecretBase32}&issuer=${encodeURIComponent(TOTP_ISSUER)}&algorithm=SHA1&digits=6&period=30`;
  return { operator, password, totpSecretBase32, otpauthUri };
}

export async function operatorById(db: Db, operatorId: string): Promise<Operator | undefined> {
  const row = await db.selectFrom('operators').select(['operator_id', 'name', 'role']).where('operator_id', '=', operatorId).executeTakeFirst();
  return row && { operatorId: row.operator_id, name: row.name, role: row.role };
}

export async function operatorByName(db: Db, name: string): Promise<Operator | undefined> {
  const row = await db.selectFrom('operators').select(['operator_id', 'name', 'role']).where('name', '=', name).executeTakeFirst();
  return row && { operatorId: row.operator_id, name: row.name, role: row.role };
}

export type OperatorLogin = { ok: true; operator: Operator } | { ok: false; locked: boolean };

/**
 * Password and one-time code together; a code works once. An unknown name costs the same scrypt work; a locked
 * login is refused before any (so a guesser cannot keep the server busy hashing for it).
 */
export async function verifyOperatorLogin(db: Db, name: string, password: string, code: string, now: Date): Promise<OperatorLogin> {
  const row =
    OPERATOR_NAME_PATTERN.test(name) && password.length <= PASSWORD_MAX_LENGTH
      ? await db.selectFrom('operators').selectAll().where('name', '=', name).executeTakeFirst()
      : undefined;
  if (row?.locked_until && row.locked_until > now) return { ok: false, locked: true };
  const passwordMatches = password.length > 0 && (await verifyPasswordOrDecoy(password, row?.password_hash));
  if (!row) return { ok: false, locked: false };
  const step = passwordMatches ? matchingTotpStep(row.totp_secret_base32, code, now) : undefined;
  // Atomic: of two concurrent uses of one code, one wins (RFC 6238 §5.2).
  const consumed =
    step !== undefined &&
    (await db
      .updateTable('operators')
      .set({ totp_last_used_step: step, failed_logins: 0, locked_until: null })
      .where('operator_id', '=', row.operator_id)
      .where((eb) => eb.or([eb('totp_last_used_step', 'is', null), eb('totp_last_used_step', '<', step)]))
      .executeTakeFirst()).numUpdatedRows === 1n;
  if (consumed) return { ok: true, operator: { operatorId: row.operator_id, name: row.name, role: row.role } };
  const failed = await db
    .updateTable('operators')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
    .where('operator_id', '=', row.operator_id)
    .returning('failed_logins')
    .executeTakeFirstOrThrow();
  if (failed.failed_logins < FAILED_LOGINS_MAX) return { ok: false, locked: false };
  await db.updateTable('operators').set({ failed_logins: 0, locked_until: new Date(now.getTime() + LOCK_MS) }).where('operator_id', '=', row.operator_id).execute();
  return { ok: false, locked: true };
}
