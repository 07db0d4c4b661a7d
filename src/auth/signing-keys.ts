// How oidc-provider signs with a key set that changes while it runs. oidc-provider takes its keys
// once, at construction; we give it one ExternalSigningKey per algorithm that always stands for that
// algorithm's current key (kid, public key, signature), and answer the JWKS endpoint ourselves from
// the published keys. oidc-provider writes the kid into the JWS header before it asks for the
// signature, so the signature is made with the key the header names, even across a switch-over.
import { constants, sign as cryptoSign, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ExternalSigningKey, type KoaContextWithOIDC } from 'oidc-provider';
import type { KeyRing } from './keys.ts';
import { publicJwk, SIGNING_ALGS, type SigningAlg } from './key-set.ts';
import { OIDC_ROUTES } from './routes.ts';

class ScheduledSigningKey extends ExternalSigningKey {
  constructor(
    private readonly ring: KeyRing,
    private readonly algorithm: SigningAlg,
  ) {
    super();
  }

  override get alg(): string {
    return this.algorithm;
  }

  override set alg(_value: string | undefined) {
    // Fixed per instance; oidc-provider only assigns an algorithm the key already has.
  }

  override get kid(): string {
    return this.ring.signer(this.algorithm).jwk.kid;
  }

  override set kid(_value: string | undefined) {
    // The kid follows the schedule.
  }

  override keyObject(): KeyObject {
    return createPublicKey({ key: publicJwk(this.ring.signer(this.algorithm)) as JsonWebKey, format: 'jwk' });
  }

  override sign(data: Uint8Array): Uint8Array {
    const kid = kidOfSigningInput(data);
    const key = kid === undefined ? undefined : this.ring.privateKey(kid);
    if (!key) throw new Error(`the JWS header names no published ${this.algorithm} key`);
    return this.algorithm === 'PS256'
      ? cryptoSign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  }
}

/** The `kid` of the protected header at the start of a JWS signing input (`header.payload`). */
function kidOfSigningInput(data: Uint8Array): string | undefined {
  const text = Buffer.from(data).toString('latin1');
  const header = JSON.parse(Buffer.from(text.slice(0, text.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown };
  return typeof header.kid === 'string' ? header.kid : undefined;
}

/** The `jwks.keys` for oidc-provider's configuration (with `features.externalSigningSupport`). */
export function scheduledSigningKeys(ring: KeyRing): ExternalSigningKey[] {
  return SIGNING_ALGS.map((alg) => new ScheduledSigningKey(ring, alg));
}

/** oidc-provider's JWKS is the list it was built with; this answers with the keys published now. */
export function publishedJwks(ring: KeyRing) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    if (ctx.path !== OIDC_ROUTES.jwks || ctx.status !== 200) return;
    ctx.body = { keys: ring.published().map(publicJwk) };
  };
}
