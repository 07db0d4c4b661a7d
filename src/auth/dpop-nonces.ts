// RFC 9449 §8 and §9 server nonces, one scheme for the whole bank: the token and PAR endpoints
// (oidc-provider's features.dPoP) and the bank APIs (api/dpop.ts) mint and accept the same nonces.
// They share an origin (the mTLS listener), and clients keep one nonce per origin, so nonces that
// differed would be refused at every switch between token endpoint and API.
// Every node must agree without talking to the others: a nonce is an HKDF of a secret from the keys
// file and the current minute (oidc-provider's own ServerChallenge, used here as it is, so the two sides
// can never drift apart).
import { hkdfSync } from 'node:crypto';
import ServerChallenge from 'oidc-provider/lib/helpers/challenge.js';
import type { DpopNonces } from '../api/dpop.ts';
import type { AuthorizationServerKeys } from './keys.ts';

/** oidc-provider wants exactly 32 bytes for the DPoP nonce secret. */
const DPOP_NONCE_SECRET_BYTES = 32;
/** The HKDF `info` oidc-provider derives its DPoP nonces with (its ServerChallenge for DPoP). */
const DPOP_CHALLENGE_INFO = 'DPoP';

/**
 * The nonce secret. It comes from the keys file every node loads: derived (HKDF, its own label) from the
 * cookie signing secret, which keeps key files made before DPoP valid. Rotating the cookie secret rotates
 * it: a nonce in flight is then refused once with `use_dpop_nonce` and the client retries with the new one.
 */
export function dpopNonceSecret(keys: AuthorizationServerKeys): Buffer {
  const cookieSecret = keys.cookieKeys[0];
  if (cookieSecret === undefined) throw new Error('the keys file has no cookie secret');
  return Buffer.from(hkdfSync('sha256', cookieSecret, Buffer.alloc(0), 'ginko DPoP nonce secret', DPOP_NONCE_SECRET_BYTES));
}

export function dpopNonces(keys: AuthorizationServerKeys): DpopNonces {
  const challenge = new ServerChallenge(dpopNonceSecret(keys), DPOP_CHALLENGE_INFO);
  return { current: () => challenge.nextChallenge(), accepts: (nonce) => challenge.checkChallenge(nonce) };
}
