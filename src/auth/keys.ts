// The authorization server's secrets: JWS signing keys (published without their private parts in
// the JWKS) and the keys that sign its cookies. Every node of a deployment must load the same ones:
// from GINKO_KEYS_FILE (a mounted secret, made once with `ginko keys create`), or, for a single
// node, made on first start in the data folder. Either way readable by the owner only.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ConfigError } from '../config/config.ts';

export interface AuthorizationServerKeys {
  /** Private JWKs, each with `kid`, `alg` and `use: 'sig'`: one PS256 (RSA) and one ES256 (P-256). */
  signingKeys: JWK[];
  /** Secrets for oidc-provider's signed cookies; the first signs, all verify (rotation). */
  cookieKeys: string[];
}

const FILE_NAME = 'authorization-server-keys.json';
const RSA_MODULUS_BITS = 2048;

/** The configured key file, which must exist; or the data folder's, made on first start. */
export async function loadKeys(source: { dataDir: string; keysFile: string | undefined }): Promise<AuthorizationServerKeys> {
  if (source.keysFile) {
    if (!existsSync(source.keysFile)) {
      throw new ConfigError(`GINKO_KEYS_FILE=${source.keysFile} does not exist: make it once with \`npx ginko keys create --out ${source.keysFile}\` and give every node the same file`);
    }
    return parseKeys(readFileSync(source.keysFile, 'utf8'), source.keysFile);
  }
  const file = join(source.dataDir, 'keys', FILE_NAME);
  if (existsSync(file)) return parseKeys(readFileSync(file, 'utf8'), file);
  await createKeysFile(file);
  return parseKeys(readFileSync(file, 'utf8'), file);
}

/** Writes new keys to `file` (owner-only); refuses to replace a file, whose loss would end every session. */
export async function createKeysFile(file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const keys: AuthorizationServerKeys = {
    signingKeys: [await signingKey('PS256'), await signingKey('ES256')],
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

async function signingKey(alg: 'PS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: RSA_MODULUS_BITS });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

function parseKeys(text: string, file: string): AuthorizationServerKeys {
  let keys: Partial<AuthorizationServerKeys>;
  try {
    keys = JSON.parse(text) as Partial<AuthorizationServerKeys>;
  } catch {
    throw new ConfigError(`${file} is not JSON: it must be a key file written by \`npx ginko keys create\``);
  }
  const valid =
    Array.isArray(keys.signingKeys) &&
    keys.signingKeys.length > 0 &&
    keys.signingKeys.every((k) => typeof k.kid === 'string' && typeof k.d === 'string') &&
    Array.isArray(keys.cookieKeys) &&
    keys.cookieKeys.length > 0;
  if (!valid) throw new ConfigError(`${file} is not a valid key file (signingKeys with private parts and cookieKeys are required): restore it, or replace it with \`npx ginko keys create\` (every issued token and session becomes invalid)`);
  return keys as AuthorizationServerKeys;
}
