// How the customer logged in, as the TPP reads it in the ID token: `acr` names the level, `amr` the methods
// (RFC 8176). Discovery lists the levels in `acr_values_supported`; a TPP that needs a passkey asks for
// `urn:ginko:acr:phishing-resistant` as an essential `acr` claim, and then the login page offers nothing else.
import type { InteractionResults } from 'oidc-provider';

export const ACR = {
  /** A passkey with user verification: the key never leaves the authenticator and signs only for this origin. */
  phishingResistant: 'urn:ginko:acr:phishing-resistant',
  /** Password and a one-time code from the authenticator app: two factors, but both can be phished. */
  multiFactor: 'urn:ginko:acr:mfa',
} as const;

/** Strongest first, as discovery lists them. */
export const ACR_VALUES_SUPPORTED = [ACR.phishingResistant, ACR.multiFactor];

export type LoginMethod = { kind: 'passkey'; backedUp: boolean } | { kind: 'password-and-code' };

/** oidc-provider's login result for a customer who logged in with `method`. */
export function loginResult(customerId: string, method: LoginMethod): NonNullable<InteractionResults['login']> {
  if (method.kind === 'password-and-code') return { accountId: customerId, acr: ACR.multiFactor, amr: ['pwd', 'otp', 'mfa'] };
  // A synced passkey (backed up to the customer's cloud account) is a software-secured key; one that cannot
  // leave its device is hardware-secured. User verification (PIN or biometric) is always required: `user`
  // (the customer was present) and `mfa` (possession plus the verification).
  return { accountId: customerId, acr: ACR.phishingResistant, amr: [method.backedUp ? 'swk' : 'hwk', 'user', 'mfa'] };
}

/**
 * The `acr` values the authorization request makes essential (OpenID Connect Core 5.5.1.1, through the
 * `claims` parameter or the request object), or undefined when any level will do.
 */
export function essentialAcrs(claimsParameter: unknown): string[] | undefined {
  let claims: unknown = claimsParameter;
  if (typeof claimsParameter === 'string') {
    try {
      claims = JSON.parse(claimsParameter);
    } catch {
      return undefined;
    }
  }
  const acr = (claims as { id_token?: { acr?: unknown } } | null | undefined)?.id_token?.acr;
  if (typeof acr !== 'object' || acr === null || (acr as { essential?: unknown }).essential !== true) return undefined;
  const { value, values } = acr as { value?: unknown; values?: unknown };
  if (typeof value === 'string') return [value];
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : undefined;
}

/** Whether a login with `method` satisfies the request's essential acr, if it has one. */
export function methodAllowed(method: LoginMethod['kind'], essential: string[] | undefined): boolean {
  if (!essential) return true;
  return essential.includes(method === 'passkey' ? ACR.phishingResistant : ACR.multiFactor);
}
