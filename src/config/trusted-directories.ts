// The directories whose software statements the bank accepts at dynamic client registration
// (GINKO_TRUSTED_DIRECTORIES_FILE): each an issuer name and its public signing keys. Read and checked
// once at start, so a bad key stops the start instead of failing a TPP's registration later.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config.ts';

export interface TrustedDirectory {
  /** The `iss` its software statements carry. */
  issuer: string;
  keys: DirectoryKey[];
}

export interface DirectoryKey {
  kid: string | undefined;
  /** An RSA key (PS256) of at least 2048 bits, or a P-256 key (ES256): FAPI's algorithms only. */
  key: KeyObject;
}

const LIMITS = { fileBytes: 256 * 1024, directories: 20, keysPerDirectory: 20, issuerChars: 200, rsaMinBits: 2048 } as const;
const EXAMPLE = '[{"issuer":"https://directory.example","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"…"}]}}]';

/** No file: no directory is trusted, and every registration is refused as unapproved. */
export function trustedDirectoriesFrom(path: string | undefined): TrustedDirectory[] {
  if (path === undefined || path === '') return [];
  const setting = `GINKO_TRUSTED_DIRECTORIES_FILE=${path}`;
  let parsed: unknown;
  try {
    if (statSync(path).size > LIMITS.fileBytes) throw new ConfigError(`${setting} is larger than ${LIMITS.fileBytes} bytes: it should hold only directories and their public keys`);
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${setting} cannot be read as JSON (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): write a list such as ${EXAMPLE}`);
  }
  if (!Array.isArray(parsed) || parsed.length > LIMITS.directories) {
    throw new ConfigError(`${setting} must hold a JSON list of at most ${LIMITS.directories} directories, e.g. ${EXAMPLE}`);
  }
  const directories = parsed.map((entry: unknown, index) => directoryFrom(entry, `${setting}: directory ${index + 1}`));
  const issuers = directories.map((d) => d.issuer);
  const repeated = issuers.find((issuer, index) => issuers.indexOf(issuer) !== index);
  if (repeated !== undefined) throw new ConfigError(`${setting}: the issuer ${repeated} is listed twice; give each directory once, with all its keys`);
  return directories;
}

function directoryFrom(entry: unknown, where: string): TrustedDirectory {
  const { issuer, jwks } = (typeof entry === 'object' && entry !== null ? entry : {}) as { issuer?: unknown; jwks?: { keys?: unknown } };
  if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > LIMITS.issuerChars) {
    throw new ConfigError(`${where} needs an "issuer": the iss of its software statements, 1 to ${LIMITS.issuerChars} characters`);
  }
  const keys = jwks?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > LIMITS.keysPerDirectory) {
    throw new ConfigError(`${where} (${issuer}) needs "jwks": {"keys": [...]} with 1 to ${LIMITS.keysPerDirectory} public keys`);
  }
  return { issuer, keys: keys.map((jwk: unknown, index) => directoryKeyFrom(jwk, `${where} (${issuer}), key ${index + 1}`)) };
}

function directoryKeyFrom(jwk: unknown, where: string): DirectoryKey {
  if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) {
    throw new ConfigError(`${where} must be a public JWK (no "d"): the bank needs only the directory's public keys`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new ConfigError(`${where} is not a usable JWK (${(error as Error).message})`);
  }
  const details = key.asymmetricKeyDetails;
  const rsa = key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= LIMITS.rsaMinBits;
  const p256 = key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
  if (!rsa && !p256) throw new ConfigError(`${where} must be an RSA key of at least ${LIMITS.rsaMinBits} bits (PS256) or a P-256 key (ES256)`);
  const kid = (jwk as { kid?: unknown }).kid;
  return { kid: typeof kid === 'string' ? kid : undefined, key };
}
