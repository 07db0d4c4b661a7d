// Customer passwords: scrypt with a random salt. The encoded form names its own version and cost, so the
// cost can be raised later without invalidating stored hashes:  scrypt$1$ln=15,r=8,p=3$<salt>$<key>
// (base64url salt and key). ln=15,r=8,p=3 is one of OWASP's equivalent scrypt settings, with 32 MiB of memory.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const VERSION = '1';
const COST = { logN: 15, r: 8, p: 3 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Inputs longer than this are refused before hashing: scrypt's cost must not be the attacker's to choose. */
export const PASSWORD_MAX_LENGTH = 1024;

const ENCODED_PATTERN = /^scrypt\$1\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

interface Cost {
  logN: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, cost: Cost): Promise<Buffer> {
  const N = 2 ** cost.logN;
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 2 * 128 * N * cost.r + 128 * cost.r * cost.p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  assert.ok(password.length > 0 && password.length <= PASSWORD_MAX_LENGTH, 'password length out of range');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return `scrypt$${VERSION}$ln=${COST.logN},r=${COST.r},p=${COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` matches `encoded` (from hashPassword). A malformed `encoded` is corrupt data and throws. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = ENCODED_PATTERN.exec(encoded);
  if (!match) throw new Error('stored password hash is not in a known format');
  const cost: Cost = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  // Bounds, so that a tampered row cannot make one login cost gigabytes.
  if (cost.logN < 10 || cost.logN > 20 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) {
    throw new Error('stored password hash has an out-of-range cost');
  }
  if (password.length === 0 || password.length > PASSWORD_MAX_LENGTH) return false;
  const expected = Buffer.from(match[5]!, 'base64url');
  const actual = await derive(password, Buffer.from(match[4]!, 'base64url'), cost);
  return timingSafeEqual(actual, expected);
}

/** Hash of a password nobody knows: an unknown login costs the same scrypt work as a known one. */
let decoyHash: Promise<string> | undefined;

/** verifyPassword against `encoded`, or, when there is no such login, against a decoy: false in about the same time. */
export async function verifyPasswordOrDecoy(password: string, encoded: string | undefined): Promise<boolean> {
  if (encoded !== undefined) return verifyPassword(password, encoded);
  decoyHash ??= hashPassword(randomUUID());
  await verifyPassword(password, await decoyHash);
  return false;
}
