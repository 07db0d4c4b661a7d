// The customer's authenticator app: RFC 6238 codes from the seeded demo secret, computed with the
// bank's own TOTP function as any app would. The bank accepts each time step once and one step either
// side of now, so the app hands out steps in increasing order and waits for the clock when it must.
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_TOTP_SECRETS } from '../../src/bank/demo-totp.ts';
import { matchingTotpStep, TOTP_STEP_SECONDS, totpCode, totpStepAt } from '../../src/bank/totp.ts';

const lastStepBySecret = new Map<string, number>();

/** A fresh code for the demo customer; steps already handed out are never reused. */
export async function nextTotpCode(loginId: string): Promise<string> {
  const secret = DEMO_TOTP_SECRETS[loginId];
  if (!secret) throw new Error(`no demo TOTP secret for ${loginId}`);
  return nextTotpCodeFor(secret);
}

/** A fresh code for any secret (an operator's); steps already handed out are never reused. */
export async function nextTotpCodeFor(secret: string): Promise<string> {
  const current = totpStepAt(new Date());
  const step = Math.max(current - 1, (lastStepBySecret.get(secret) ?? -Infinity) + 1);
  if (step > current + 1) {
    // Wait until the step is within the bank's window again.
    await sleep((step - 1) * TOTP_STEP_SECONDS * 1000 - Date.now() + 50);
  }
  lastStepBySecret.set(secret, step);
  return totpCode(secret, step);
}

/** A six-digit code the bank will not accept now (none of the steps it would take). */
export async function wrongTotpCode(loginId: string): Promise<string> {
  const secret = DEMO_TOTP_SECRETS[loginId]!;
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (matchingTotpStep(secret, code, new Date()) === undefined) return code;
  }
}
