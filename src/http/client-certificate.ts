// Where a request's client certificate comes from. For now only the TLS socket of the mTLS listener;
// the trusted-proxy `Client-Cert` header (RFC 9440) will plug in here.
import { hash, type X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** The certificate the client presented on this connection, if any (chain not yet judged). */
export function clientCertificateOf(request: IncomingMessage): X509Certificate | undefined {
  const socket = request.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
  return socket.getPeerX509Certificate() ?? undefined;
}

/** Whether the presented certificate chains to a CA this listener trusts (PKI-based tls_client_auth). */
export function clientCertificateChainTrusted(request: IncomingMessage): boolean {
  const socket = request.socket as Partial<TLSSocket>;
  return socket.authorized === true;
}

/** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return hash('sha256', certificate.raw, 'base64url');
}
