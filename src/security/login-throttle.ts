// Back-off and lock after failed logins, per login ID, in the database so every node sees the same count.
// The count is kept for any login ID typed, existing or not, so the answers never tell whether one exists:
// after `backoffAfterFailures` failures each further attempt must wait a delay that doubles per failure,
// and at `lockAfterFailures` the login ID is locked for `lockSeconds`. A success clears the count.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

export interface LoginThrottlePolicy {
  backoffAfterFailures: number;
  /** The first delay; each further failure doubles it. */
  backoffSeconds: number;
  lockAfterFailures: number;
  lockSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = { backoffAfterFailures: 3, backoffSeconds: 1, lockAfterFailures: 10, lockSeconds: 900 };

/** Counts untouched this long are forgotten (swept), whatever they were. */
const FORGET_AFTER_MS = 24 * 3600 * 1000;
/** The doubling stops here: the lock takes over long before on any sane policy. */
const BACKOFF_DOUBLINGS_MAX = 20;

/** Whether a login ID may try now; when not, until when, and whether that is a lock or the back-off. */
export type LoginGate = { open: true } | { open: false; until: Date; locked: boolean };

export async function loginGate(db: Db, loginId: string, policy: LoginThrottlePolicy, now: Date): Promise<LoginGate> {
  const row = await db.selectFrom('login_failures').selectAll().where('login_key', '=', loginKey(loginId)).executeTakeFirst();
  if (!row) return { open: true };
  if (row.locked_until) return row.locked_until > now ? { open: false, until: row.locked_until, locked: true } : { open: true };
  const until = new Date(row.last_failed_at.getTime() + backoffMs(row.failures, policy));
  return until > now ? { open: false, until, locked: false } : { open: true };
}

/**
 * Counts one failure (atomically: failures on several nodes add up); a count that reaches the policy's
 * limit locks the login ID. A lapsed lock starts the count again.
 */
export async function recordLoginFailure(db: Db, loginId: string, policy: LoginThrottlePolicy, now: Date): Promise<{ failures: number; lockedUntil: Date | undefined }> {
  await db.deleteFrom('login_failures').where('last_failed_at', '<', new Date(now.getTime() - FORGET_AFTER_MS)).execute();
  const lockUntil = new Date(now.getTime() + policy.lockSeconds * 1000);
  const restart = sql<boolean>`login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= ${now}`;
  const counted = sql<number>`CASE WHEN ${restart} THEN 1 ELSE login_failures.failures + 1 END`;
  const row = await db
    .insertInto('login_failures')
    .values({ login_key: loginKey(loginId), failures: 1, last_failed_at: now, locked_until: policy.lockAfterFailures <= 1 ? lockUntil : null })
    .onConflict((oc) =>
      oc.column('login_key').doUpdateSet({
        failures: counted,
        last_failed_at: now,
        locked_until: sql`CASE WHEN ${counted} >= ${policy.lockAfterFailures} THEN ${lockUntil}::timestamptz ELSE NULL END`,
      }),
    )
    .returning(['failures', 'locked_until'])
    .executeTakeFirstOrThrow();
  return { failures: row.failures, lockedUntil: row.locked_until ?? undefined };
}

export async function clearLoginFailures(db: Db, loginId: string): Promise<void> {
  await db.deleteFrom('login_failures').where('login_key', '=', loginKey(loginId)).execute();
}

function backoffMs(failures: number, policy: LoginThrottlePolicy): number {
  if (failures < policy.backoffAfterFailures) return 0;
  return policy.backoffSeconds * 1000 * 2 ** Math.min(failures - policy.backoffAfterFailures, BACKOFF_DOUBLINGS_MAX);
}

/** The table never holds a login ID, only this. */
function loginKey(loginId: string): string {
  return createHash('sha256').update(loginId).digest('base64url');
}
