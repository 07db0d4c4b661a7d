// The bank's own outgoing HTTPS requests through oidc-provider (CIBA pings to a TPP's notification
// endpoint, a TPP's jwks_uri). By default oidc-provider's: public CAs only, and no loopback or private
// addresses (its SSRF guard). In the sandbox (GINKO_SANDBOX_OUTBOUND) a TPP app runs beside the bank, so
// its endpoints may be local and carry certificates from the sandbox CA.
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Configuration } from 'oidc-provider';

/** oidc-provider's `fetch` option for the sandbox: trusts the sandbox CA too, and reaches local addresses. */
export function sandboxOutboundFetch(sandboxCaPem: string): NonNullable<Configuration['fetch']> {
  const agent = new Agent({ connect: { ca: [...rootCertificates, sandboxCaPem] } });
  return ((input: string | URL, init?: Record<string, unknown>) =>
    // Replaces oidc-provider's SSRF-guarded dispatcher, on purpose (see above); its timeout signal stays.
    undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as NonNullable<Configuration['fetch']>;
}
