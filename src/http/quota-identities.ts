// Which TPP a request is from, known before anything reads its body or the store, so a flood is
// counted against its TPP before it costs a database round trip. The node learns it from requests
// that proved it: a client certificate is the TPP's once a PAR or token request with it has
// succeeded (the client authenticated), and an access token is its TPP's once the API guard has
// accepted it. Nothing the client merely claims (a client_id in a body, an unverified assertion)
// counts, so no TPP can spend another's quota. A request not yet known counts against its source
// address only; the first request of each certificate or token on each node is such a request.
import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { FastifyRequest } from 'fastify';
import { certificateThumbprint, clientCertificateOf } from './client-certificate.ts';

/** Tokens and certificates one node remembers at most; past it the oldest is forgotten (and learnt again). */
const REMEMBERED_MAX = 50_000;
/** A token value is never longer than this (ours are 43 characters); longer ones are not looked at. */
const TOKEN_LENGTH_MAX = 256;
const TOKEN_PATTERN = /^(?:Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;

/** A Map that forgets its oldest entry beyond its size, and entries past their time. */
class Remembered {
  private readonly entries = new Map<string, { clientId: string; untilMs: number }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.untilMs > Date.now()) return entry.clientId;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, clientId: string): void {
    this.entries.delete(key);
    if (this.entries.size >= REMEMBERED_MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { clientId, untilMs: Date.now() + this.ttlMs });
  }
}

export class TppIdentities {
  private readonly byCertificate: Remembered;
  private readonly byToken: Remembered;

  /** `tokenTtlSeconds`: no access token outlives it, so neither does what the node knows of one. */
  constructor(tokenTtlSeconds: number) {
    // A certificate lasts longer than a token; a day bounds how long a reissued one keeps its old owner.
    this.byCertificate = new Remembered(24 * 3600 * 1000);
    this.byToken = new Remembered(tokenTtlSeconds * 1000);
  }

  /** The TPP of a request, by its access token, else by its client certificate; undefined when not yet known. */
  clientOf(request: FastifyRequest): string | undefined {
    const token = tokenKeyOf(request.headers.authorization);
    const byToken = token && this.byToken.get(token);
    if (byToken) return byToken;
    const certificate = clientCertificateOf(request.raw);
    return certificate && this.byCertificate.get(certificateThumbprint(certificate));
  }

  /** After the API guard has accepted a token (`request.bankAccess`), the token is its TPP's. */
  learnFromApi(request: FastifyRequest): void {
    const clientId = request.bankAccess?.clientId;
    const token = tokenKeyOf(request.headers.authorization);
    if (clientId && token) this.byToken.set(token, clientId);
  }

  /** A provider middleware: a certificate that came with a successful PAR or token request is the authenticated TPP's. */
  learnFromProvider(provider: Provider, paths: readonly string[]): void {
    provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
      await next();
      // ctx.oidc.client is set before the client authenticates; only a success proves it did.
      const clientId = ctx.oidc?.client?.clientId;
      if (!clientId || ctx.status >= 300 || !paths.includes(ctx.path)) return;
      const certificate = clientCertificateOf(ctx.req as IncomingMessage);
      if (certificate) this.byCertificate.set(certificateThumbprint(certificate), clientId);
    });
  }
}

/** The token's SHA-256, so the node's memory holds no usable token. */
function tokenKeyOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length > TOKEN_LENGTH_MAX + 10) return undefined;
  const token = TOKEN_PATTERN.exec(authorization)?.[1];
  return token && hash('sha256', token, 'base64url');
}
