// TLS settings of the HTTPS listeners, which serve FAPI 1.0 Advanced and FAPI 2.0 clients alike, so
// they follow both profiles at once:
//   * TLS 1.2 or later only (FAPI 1.0 Advanced 8.5-1, FAPI 2.0 Security Profile 5.2.1);
//   * with TLS 1.2, only the suites both allow: FAPI 1.0 lists the ECDHE-RSA and DHE-RSA AES-GCM suites
//     (8.5-2), FAPI 2.0 only BCP 195's (RFC 9325 §4.2: ECDHE-RSA and ECDHE-ECDSA AES-GCM, no DHE, 5.2.2).
//     What is left is the two ECDHE-RSA suites: forward secrecy, AEAD, RSA authentication;
//   * TLS 1.3 is allowed (and preferred); its suites are all AEAD with forward secrecy.
import { createPrivateKey } from 'node:crypto';
import type { ServerOptions } from 'node:https';

/**
 * The only cipher suites permitted with TLS 1.2 (OpenSSL names): on both the FAPI 1.0 Advanced list and
 * BCP 195's. The DHE-RSA suites FAPI 1.0 also lists are refused, as FAPI 2.0 requires; the ECDHE-ECDSA
 * ones FAPI 2.0 also allows would need an EC certificate, and FAPI 1.0 forbids them.
 */
export const FAPI_TLS12_CIPHERS = [
  'ECDHE-RSA-AES128-GCM-SHA256', // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  'ECDHE-RSA-AES256-GCM-SHA384', // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
] as const;

/**
 * TLS 1.3 suites, listed explicitly so the policy does not silently follow OpenSSL's defaults.
 * Node splits a `ciphers` string by protocol: `TLS_*` names go to TLS 1.3, the rest to TLS ≤ 1.2.
 */
export const TLS13_CIPHERS = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

export interface FapiTlsInput {
  /** Server certificate (PEM). Must carry an RSA key: both TLS 1.2 suites are ECDHE-RSA. */
  certificatePem: string;
  privateKeyPem: string;
  /** The CA whose client certificates count as chained (`socket.authorized`) for tls_client_auth. */
  caCertificatePem: string;
  /** Ask clients for a certificate (the mTLS listener); otherwise plain server-authenticated TLS. */
  requestClientCertificate: boolean;
}

export function fapiTlsOptions(input: FapiTlsInput): ServerOptions {
  // Fail at start-up rather than with "no shared cipher" on every TLS 1.2 handshake.
  const key = createPrivateKey(input.privateKeyPem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`FAPI TLS 1.2 suites need an RSA server key, got ${String(key.asymmetricKeyType)}`);
  }
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new Error('FAPI 1.0 requires RSA keys of at least 2048 bits'); // FAPI 1.0 Advanced §8.6
  }

  const options: ServerOptions = {
    cert: input.certificatePem,
    key: input.privateKeyPem,
    // Nothing older than TLS 1.2; OpenSSL picks the highest version both sides speak, so a TLS 1.3
    // client always gets TLS 1.3 and TLS 1.2 is only the fallback.
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: [...TLS13_CIPHERS, ...FAPI_TLS12_CIPHERS].join(':'),
    // Our order, not the client's: the listed order.
    honorCipherOrder: true,
  };

  if (input.requestClientCertificate) {
    // RFC 8705 mTLS. rejectUnauthorized stays false because self_signed_tls_client_auth clients
    // present certificates that do not chain to our CA; the handshake must still succeed for them
    // (and for clients that present no certificate at all, e.g. public endpoints on this listener).
    // Whether a certificate chains to `ca` is judged per request via `socket.authorized`, and
    // what the certificate is allowed to do is decided by client authentication, not by TLS.
    options.requestCert = true;
    options.rejectUnauthorized = false;
    options.ca = [input.caCertificatePem];
  }
  return options;
}
