// The authorization server's key set and its rotation schedule, as data: which signing key is
// published and which one signs at any instant follows from timestamps in the set alone, so every
// node that loads the same set agrees without talking to the others (only their clocks must agree).
//
//   keys rotate at t0 ─▶ new key published (JWKS) ─ publish lead ─▶ new key signs (t1)
//   old key: still published until t1 + retention (everything it signed has expired), then dropped.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The algorithms the bank signs with (FAPI 1.0 Advanced 8.6); each has its own key and schedule. */
export const SIGNING_ALGS = ['PS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface ScheduledKey {
  /** Private JWK with `kid`, `alg` and `use: 'sig'`. */
  jwk: JWK & { kid: string; alg: SigningAlg };
  /** When it appears in the JWKS (epoch ms). */
  publishFromMs: number;
  /** When it starts signing (epoch ms); never before it is published. */
  signFromMs: number;
}

export interface KeySet {
  signingKeys: ScheduledKey[];
  /** Secrets for the signed cookies and CSRF tokens; the first signs, all verify. */
  cookieKeys: string[];
}

/** Why a key set cannot be used; the message names no key material. */
export class KeySetError extends Error {
  override name = 'KeySetError';
}

const RSA_MODULUS_BITS = 2048;
/** More keys than this in one file means rotations that never pruned: refuse rather than publish them all. */
const SIGNING_KEYS_MAX = 32;
const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'] as const;

/** A first key set: one key per algorithm, published and signing from `nowMs` (nobody has seen a token yet). */
export async function newKeySet(nowMs: number): Promise<KeySet> {
  return {
    signingKeys: await Promise.all(SIGNING_ALGS.map((alg) => newSigningKey(alg, nowMs, nowMs))),
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

/**
 * A new key per algorithm, published now and signing `publishLeadSeconds` later; keys past their
 * retention are removed. Refused while an earlier rotation's keys are still waiting to sign.
 */
export async function rotatedKeySet(set: KeySet, options: { nowMs: number; publishLeadSeconds: number; retentionSeconds: number }): Promise<KeySet> {
  const { nowMs } = options;
  const waiting = set.signingKeys.find((key) => key.signFromMs > nowMs);
  if (waiting) {
    throw new KeySetError(`a rotation is under way: key ${waiting.jwk.kid} signs from ${new Date(waiting.signFromMs).toISOString()}; rotate again after that`);
  }
  const signFromMs = nowMs + options.publishLeadSeconds * 1000;
  const added = await Promise.all(SIGNING_ALGS.map((alg) => newSigningKey(alg, nowMs, signFromMs)));
  const kept = set.signingKeys.filter((key) => !isRetired(set, key, nowMs, options.retentionSeconds));
  return { ...set, signingKeys: [...kept, ...added] };
}

/** The key that signs with `alg` at `nowMs`: the one whose signing began last. */
export function signerAt(set: KeySet, alg: SigningAlg, nowMs: number): ScheduledKey | undefined {
  let signer: ScheduledKey | undefined;
  for (const key of set.signingKeys) {
    if (key.jwk.alg === alg && key.signFromMs <= nowMs && (!signer || key.signFromMs >= signer.signFromMs)) signer = key;
  }
  return signer;
}

/** The keys in the JWKS at `nowMs`: published, and not retired. */
export function publishedAt(set: KeySet, nowMs: number, retentionSeconds: number): ScheduledKey[] {
  return set.signingKeys.filter((key) => key.publishFromMs <= nowMs && !isRetired(set, key, nowMs, retentionSeconds));
}

/** A key is retired once a successor has signed for longer than anything signed with it can live. */
function isRetired(set: KeySet, key: ScheduledKey, nowMs: number, retentionSeconds: number): boolean {
  return set.signingKeys.some(
    (other) => other.jwk.alg === key.jwk.alg && other.signFromMs > key.signFromMs && other.signFromMs + retentionSeconds * 1000 <= nowMs,
  );
}

export function publicJwk(key: ScheduledKey): JWK {
  return Object.fromEntries(PUBLIC_MEMBERS.filter((name) => key.jwk[name] !== undefined).map((name) => [name, key.jwk[name]])) as JWK;
}

async function newSigningKey(alg: SigningAlg, publishFromMs: number, signFromMs: number): Promise<ScheduledKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: RSA_MODULUS_BITS });
  const jwk = await exportJWK(privateKey);
  return { jwk: { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) }, publishFromMs, signFromMs };
}

// ---------------------------------------------------------------------------------------------------
// The file form: { signingKeys: [{ publishFrom, signFrom, jwk }], cookieKeys } with ISO timestamps. A
// bare JWK in signingKeys (files made before rotation existed) is published and signing since always.

interface StoredKey {
  publishFrom: string;
  signFrom: string;
  jwk: JWK;
}

export function serializeKeySet(set: KeySet): string {
  const signingKeys: StoredKey[] = set.signingKeys.map((key) => ({
    publishFrom: new Date(key.publishFromMs).toISOString(),
    signFrom: new Date(key.signFromMs).toISOString(),
    jwk: key.jwk,
  }));
  return JSON.stringify({ signingKeys, cookieKeys: set.cookieKeys }, null, 2);
}

export function parseKeySet(text: string): KeySet {
  let document: { signingKeys?: unknown; cookieKeys?: unknown };
  try {
    document = JSON.parse(text) as typeof document;
  } catch {
    throw new KeySetError('it is not JSON');
  }
  const { signingKeys, cookieKeys } = document ?? {};
  if (!Array.isArray(signingKeys) || signingKeys.length === 0 || signingKeys.length > SIGNING_KEYS_MAX) {
    throw new KeySetError(`signingKeys must list 1 to ${SIGNING_KEYS_MAX} keys`);
  }
  if (!Array.isArray(cookieKeys) || cookieKeys.length === 0 || !cookieKeys.every((key) => typeof key === 'string' && key.length >= 32)) {
    throw new KeySetError('cookieKeys must list at least one secret of 32 characters or more');
  }
  const keys = signingKeys.map((entry: unknown, index) => scheduledKey(entry, index));
  const kids = new Set(keys.map((key) => key.jwk.kid));
  if (kids.size !== keys.length) throw new KeySetError('two signing keys have the same kid');
  const set: KeySet = { signingKeys: keys, cookieKeys: cookieKeys as string[] };
  for (const alg of SIGNING_ALGS) {
    if (!set.signingKeys.some((key) => key.jwk.alg === alg)) throw new KeySetError(`there is no ${alg} signing key`);
  }
  return set;
}

function scheduledKey(entry: unknown, index: number): ScheduledKey {
  const stored = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<StoredKey> & JWK;
  const legacy = stored.kty !== undefined;
  const jwk = (legacy ? stored : stored.jwk) as JWK | undefined;
  const alg = jwk?.alg;
  if (!jwk || typeof jwk.kid !== 'string' || typeof jwk.d !== 'string' || !SIGNING_ALGS.includes(alg as SigningAlg)) {
    throw new KeySetError(`signingKeys[${index}] is not a private PS256 or ES256 JWK with a kid`);
  }
  const publishFromMs = legacy ? 0 : Date.parse(String(stored.publishFrom));
  const signFromMs = legacy ? 0 : Date.parse(String(stored.signFrom));
  if (!Number.isFinite(publishFromMs) || !Number.isFinite(signFromMs) || signFromMs < publishFromMs) {
    throw new KeySetError(`signingKeys[${index}] needs publishFrom and signFrom timestamps, signFrom not before publishFrom`);
  }
  return { jwk: { ...jwk, use: 'sig' } as ScheduledKey['jwk'], publishFromMs, signFromMs };
}
