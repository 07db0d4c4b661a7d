// `ginko totp <loginId>`: the current one-time code of a demo customer, as their authenticator app would
// show it. Sandbox only: the demo secrets are public (bank/demo-totp.ts), so this needs no database and
// works while the sandbox runs.
import { DEMO_TOTP_SECRETS } from '../bank/demo-totp.ts';
import { TOTP_STEP_SECONDS, totpCode, totpStepAt } from '../bank/totp.ts';

export function printDemoTotp(args: string[]): number {
  const [loginId] = args;
  const secret = loginId === undefined ? undefined : DEMO_TOTP_SECRETS[loginId];
  if (!secret) {
    console.error(`totp needs a demo customer's login ID: ${Object.keys(DEMO_TOTP_SECRETS).join(', ')}`);
    return 2;
  }
  const now = new Date();
  const secondsLeft = TOTP_STEP_SECONDS - (Math.floor(now.getTime() / 1000) % TOTP_STEP_SECONDS);
  console.log(`${totpCode(secret, totpStepAt(now))}  (${loginId}; valid for ${secondsLeft} more seconds; secret ${secret})`);
  return 0;
}
