// `ginko totp <loginId>`: the current one-time code of a demo customer (or the demo operator), as their authenticator app would
// show it. Sandbox only: the demo secrets are public (bank/demo-totp.ts), so this needs no database and
// works while the sandbox runs.
import { DEMO_TOTP_SECRETS } from '../bank/demo-totp.ts';
import { DEMO_OPERATOR } from '../operator/demo-operator.ts';
import { TOTP_STEP_SECONDS, totpCode, totpStepAt } from '../bank/totp.ts';

export function printDemoTotp(args: string[]): number {
  const [loginId] = args;
  const secrets: Record<string, string> = { ...DEMO_TOTP_SECRETS, [DEMO_OPERATOR.name]: DEMO_OPERATOR.totpSecretBase32 };
  const secret = loginId === undefined ? undefined : secrets[loginId];
  if (!secret) {
    console.error(`totp needs a demo customer's login ID or the demo operator's name: ${Object.keys(secrets).join(', ')}`);
    return 2;
  }
  const now = new Date();
  const secondsLeft = TOTP_STEP_SECONDS - (Math.floor(now.getTime() / 1000) % TOTP_STEP_SECONDS);
  console.log(`${totpCode(secret, totpStepAt(now))}  (${loginId}; valid for ${secondsLeft} more seconds; secret ${secret})`);
  return 0;
}
