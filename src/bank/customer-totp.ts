// The customer's second factor: an RFC 6238 secret per customer, and a check that accepts each code
// once (the step it belongs to must be later than the last one accepted, RFC 6238 §5.2).
import type { Db } from '../store/db.ts';
import { matchingTotpStep } from './totp.ts';

export async function enrolTotp(db: Db, customerId: string, secretBase32: string): Promise<void> {
  await db.insertInto('customer_totp').values({ customer_id: customerId, secret_base32: secretBase32, last_used_step: null }).onConflict((oc) => oc.column('customer_id').doNothing()).execute();
}

/** Whether `code` is the customer's current code, not used before; a match is consumed. */
export async function verifyAndConsumeTotp(db: Db, customerId: string, code: string, now: Date): Promise<boolean> {
  const row = await db.selectFrom('customer_totp').select(['secret_base32']).where('customer_id', '=', customerId).executeTakeFirst();
  if (!row) return false;
  const step = matchingTotpStep(row.secret_base32, code, now);
  if (step === undefined) return false;
  // Atomic: of two concurrent uses of one code, one wins.
  const { numUpdatedRows } = await db
    .updateTable('customer_totp')
    .set({ last_used_step: step })
    .where('customer_id', '=', customerId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return numUpdatedRows === 1n;
}
