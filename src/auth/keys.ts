// The authorization server's secrets: JWS signing keys (published without their private parts in
// the JWKS) and the keys that sign its cookies. Made on first start in the data folder, readable by
// the owner only; every node of a deployment must load the same files.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface AuthorizationServerKeys {
  /** Private JWKs, each with `kid`, `alg` and `use: 'sig'`: one PS256 (RSA) and one ES256 (P-256). */
  signingKeys: JWK[];
  /** Secrets for oidc-provider's signed cookies; the first signs, all verify (rotation). */
  cookieKeys: string[];
}

const FILE_NAME = 'authorization-server-keys.json';
const RSA_MODULUS_BITS = 2048;

export async function loadOrCreateKeys(dataDir: string): Promise<AuthorizationServerKeys> {
  const dir = join(dataDir, 'keys');
  const file = join(dir, FILE_NAME);
  if (existsSync(file)) return parseKeys(readFileSync(file, 'utf8'), file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: AuthorizationServerKeys = {
    signingKeys: [await signingKey('PS256'), await signingKey('ES256')],
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return keys;
}

async function signingKey(alg: 'PS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: RSA_MODULUS_BITS });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

function parseKeys(text: string, file: string): AuthorizationServerKeys {
  const keys = JSON.parse(text) as Partial<AuthorizationServerKeys>;
  const valid =
    Array.isArray(keys.signingKeys) &&
    keys.signingKeys.length > 0 &&
    keys.signingKeys.every((k) => typeof k.kid === 'string' && typeof k.d === 'string') &&
    Array.isArray(keys.cookieKeys) &&
    keys.cookieKeys.length > 0;
  if (!valid) throw new Error(`${file} is not a valid key file: remove it to have new keys made (every issued token becomes invalid)`);
  return keys as AuthorizationServerKeys;
}
