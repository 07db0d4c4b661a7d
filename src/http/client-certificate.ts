// Where a request's client certificate comes from: the TLS connection of the mTLS listener, or, from a
// configured front proxy only, the RFC 9440 `Client-Cert` header. The authorization server
// (getCertificate) and the API guard both read through here, so they can never disagree.
import { hash, X509Certificate } from 'node:crypto';
import type { BlockList } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { isTrustedProxy } from './trusted-proxies.ts';

export const CLIENT_CERT_HEADER = 'client-cert';

interface ForwardedCertificate {
  certificate: X509Certificate;
  /** Whether it chains to the CA this listener trusts (what `socket.authorized` says for a direct one). */
  chainTrusted: boolean;
}

/** Certificates a trusted proxy passed on, per raw request (gone with the request). */
const forwarded = new WeakMap<IncomingMessage, ForwardedCertificate>();

// RFC 8941 byte sequence: the base64 DER between colons.
const BYTE_SEQUENCE_PATTERN = /^:([A-Za-z0-9+/]+={0,2}):$/;

/**
 * Before anything else reads a request: the `Client-Cert` header of a trusted proxy becomes the
 * request's certificate; from anyone else it is removed, so no later code can be fooled by it.
 */
export function acceptForwardedCertificates(app: FastifyInstance, options: { trustedProxies: BlockList; caCertificatePem: string }): void {
  const ca = new X509Certificate(options.caCertificatePem);
  app.addHook('onRequest', async (request) => {
    const header = request.raw.headers[CLIENT_CERT_HEADER];
    if (header === undefined) return;
    delete request.raw.headers[CLIENT_CERT_HEADER];
    if (!isTrustedProxy(options.trustedProxies, request.raw.socket.remoteAddress)) return;
    const certificate = parseClientCertHeader(header);
    // A malformed header from our own proxy means no certificate, never a guess.
    if (certificate) forwarded.set(request.raw, { certificate, chainTrusted: chainsTo(certificate, ca) });
  });
}

function parseClientCertHeader(header: string | string[]): X509Certificate | undefined {
  const der = typeof header === 'string' ? BYTE_SEQUENCE_PATTERN.exec(header.trim())?.[1] : undefined;
  if (der === undefined) return undefined;
  try {
    return new X509Certificate(Buffer.from(der, 'base64'));
  } catch {
    return undefined;
  }
}

function chainsTo(certificate: X509Certificate, ca: X509Certificate): boolean {
  const now = Date.now();
  const valid = Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo);
  return valid && certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}

/** The certificate the client presented (through a trusted proxy or on this connection), if any; chain not yet judged. */
export function clientCertificateOf(request: IncomingMessage): X509Certificate | undefined {
  const passedOn = forwarded.get(request);
  if (passedOn) return passedOn.certificate;
  const socket = request.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
  return socket.getPeerX509Certificate() ?? undefined;
}

/** Whether the presented certificate chains to a CA this listener trusts (PKI-based tls_client_auth). */
export function clientCertificateChainTrusted(request: IncomingMessage): boolean {
  const passedOn = forwarded.get(request);
  if (passedOn) return passedOn.chainTrusted;
  const socket = request.socket as Partial<TLSSocket>;
  return socket.authorized === true;
}

/** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return hash('sha256', certificate.raw, 'base64url');
}
