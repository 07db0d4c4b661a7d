// Sandbox only: the demo customers' TOTP secrets, fixed and public so that anyone trying the sandbox can
// add them to an authenticator app or run `npx ginko totp <loginId>`. A real bank enrols a random secret
// per customer (totp.ts newTotpSecretBase32) and shows it once.
import type { Db } from '../store/db.ts';
import { enrolTotp } from './customer-totp.ts';
import { DEMO_CUSTOMERS } from './demo-customers.ts';

export const DEMO_TOTP_SECRETS: Readonly<Record<string, string>> = {
  tanaka: 'GINKOTANAKADEMOTOTPSECRET2345672',
  suzuki: 'GINKOSUZUKIDEMOTOTPSECRET2345672',
  sato: 'GINKOSATOKENDEMOTOTPSECRET234567',
};

/** Enrols each demo customer present in the store that has no secret yet (also in stores seeded before TOTP existed). */
export async function enrolDemoTotp(db: Db): Promise<void> {
  const present = new Set((await db.selectFrom('customers').select('customer_id').execute()).map((row) => row.customer_id));
  for (const customer of DEMO_CUSTOMERS) {
    const secret = DEMO_TOTP_SECRETS[customer.loginId];
    if (secret && present.has(customer.customerId)) await enrolTotp(db, customer.customerId, secret);
  }
}
