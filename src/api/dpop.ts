// RFC 9449 §4.3 and §7: the resource server's check of a DPoP proof presented with a DPoP-bound access
// token. The proof must be a fresh, never-seen `dpop+jwt` signed by the key the token is bound to, for
// exactly this method and URL and this token, and carry a nonce this bank handed out (§9).
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { invalidDpopProof, useDpopNonce } from './errors.ts';

/** FAPI 2.0 5.4: the same algorithms as everywhere else; `none`, HMAC and RS256 never. */
export const DPOP_ALGORITHMS = ['PS256', 'ES256'];

/**
 * How far a proof's `iat` may be from our clock, either way. Proofs are made per request, so a minute
 * covers transit and clock skew (the suite's ±10 s must pass, ±1 h must fail); it is also how long a
 * `jti` must be remembered.
 */
const DPOP_PROOF_WINDOW_SECONDS = 60;
/** A proof is a short JWT with a public key; anything longer is not one. */
const DPOP_PROOF_MAX_LENGTH = 4096;
/** A `jti` longer than this is not a random identifier (RFC 9449 §11.1 asks for ≥ 96 bits). */
const JTI_MAX_LENGTH = 256;
/** Our nonces are 43 characters; a longer one is not ours. */
const NONCE_MAX_LENGTH = 256;

/** Remembers proofs already used, across every node, until they could no longer pass the `iat` window. */
export interface DpopProofReplay {
  /** True the first time (key, jti) is seen; false for a replay. */
  firstUse(jkt: string, jti: string, rememberUntil: Date): Promise<boolean>;
}

/** RFC 9449 §9 server nonces, the same on every node and at the token endpoint (auth/dpop-nonces.ts). */
export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(): string;
  /** Whether a proof's nonce is one handed out recently, by any node. */
  accepts(nonce: string): boolean;
}

export interface DpopResourceOptions {
  /** Origin of the mTLS listener as TPPs reach it (GINKO_MTLS_PUBLIC_URL): the `htu` proofs must name. */
  publicUrl: string;
  replay: DpopProofReplay;
  nonces: DpopNonces;
}

/** What an accepted proof leaves to say: a newer nonce for the client's next proof (§8.2), if its was older. */
export interface AcceptedDpopProof {
  nextNonce: string | undefined;
}

/** The one DPoP header of the request; two (RFC 9449 §4.3 check 1) or none is no proof. */
function proofOf(request: FastifyRequest): string {
  const header = request.headers.dpop;
  if (typeof header !== 'string' || header === '') throw invalidDpopProof('exactly one DPoP proof header is required');
  if (header.length > DPOP_PROOF_MAX_LENGTH) throw invalidDpopProof('the DPoP proof is too long');
  return header;
}

/** URLs compared as RFC 9449 §4.3 check 9 says: without query and fragment, scheme and host normalised. */
function normalisedUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

export async function verifyDpopProof(request: FastifyRequest, accessToken: string, boundJkt: string, options: DpopResourceOptions, now: Date): Promise<AcceptedDpopProof> {
  const proof = proofOf(request);
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch {
    throw invalidDpopProof('the DPoP proof is not a valid dpop+jwt signed with its embedded public key');
  }
  if ((await calculateJwkThumbprint(jwk)) !== boundJkt) throw invalidDpopProof('the DPoP proof is signed with a key other than the one the token is bound to');
  if (payload.htm !== request.method) throw invalidDpopProof('htm does not match the request method');
  const requestUrl = normalisedUrl(`${options.publicUrl}${request.url}`);
  if (typeof payload.htu !== 'string' || normalisedUrl(payload.htu) !== requestUrl) throw invalidDpopProof('htu does not match the request URL');
  if (payload.ath !== createHash('sha256').update(accessToken).digest('base64url')) throw invalidDpopProof('ath does not match the access token');
  const iat = payload.iat;
  const nowSeconds = now.getTime() / 1000;
  if (typeof iat !== 'number' || Math.abs(nowSeconds - iat) > DPOP_PROOF_WINDOW_SECONDS) throw invalidDpopProof('the DPoP proof is not fresh (iat)');
  // §9: a proof without a nonce we handed out is answered with one to use; the client retries once.
  const nonce = payload.nonce;
  if (typeof nonce !== 'string' || nonce.length > NONCE_MAX_LENGTH || !options.nonces.accepts(nonce)) throw useDpopNonce(options.nonces.current());
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > JTI_MAX_LENGTH) throw invalidDpopProof('the DPoP proof needs a jti');
  const rememberUntil = new Date((iat + DPOP_PROOF_WINDOW_SECONDS) * 1000);
  if (!(await options.replay.firstUse(boundJkt, jti, rememberUntil))) throw invalidDpopProof('the DPoP proof was already used');
  const current = options.nonces.current();
  return { nextNonce: nonce === current ? undefined : current };
}
