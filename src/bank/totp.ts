// RFC 6238 time-based one-time passwords (TOTP): HMAC-SHA-1 over the 30-second time step, dynamically
// truncated to 6 digits (RFC 4226 §5.3), as every authenticator app computes them. The bank's second
// factor for approving a transfer (取引認証).
import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 6238 §4: X = 30 seconds, T0 = 0; 6 digits as authenticator apps show them. */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes from one step before or after are accepted too: clocks drift and people type slowly (RFC 6238 §5.2). */
const ACCEPTED_STEP_DRIFT = 1;
/** RFC 4226 §4 R6: at least 128 bits of secret; 160 bits as SHA-1's block suggests. */
const SECRET_BYTES = 20;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newTotpSecretBase32(): string {
  return encodeBase32(randomBytes(SECRET_BYTES));
}

/** The time step an instant falls in. */
export function totpStepAt(instant: Date): number {
  return Math.floor(instant.getTime() / 1000 / TOTP_STEP_SECONDS);
}

/** The code for one time step (RFC 4226 HOTP with the step as the counter). */
export function totpCode(secretBase32: string, step: number): string {
  assert.ok(Number.isSafeInteger(step) && step >= 0, 'TOTP step must be a non-negative integer');
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', decodeBase32(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** TOTP_DIGITS;
  return String(binary).padStart(TOTP_DIGITS, '0');
}

/**
 * The time step the code belongs to, when it is valid at `now` (this step or one either side), or
 * undefined. The caller refuses a step at or before the last one accepted, so a code works once.
 */
export function matchingTotpStep(secretBase32: string, code: string, now: Date): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const current = totpStepAt(now);
  let matched: number | undefined;
  // Every candidate is computed and compared in constant time, so timing does not tell which matched.
  for (let step = current - ACCEPTED_STEP_DRIFT; step <= current + ACCEPTED_STEP_DRIFT; step++) {
    if (timingSafeEqual(Buffer.from(totpCode(secretBase32, step)), Buffer.from(code))) matched ??= step;
  }
  return matched;
}

export function encodeBase32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4648 base32, upper or lower case, padding and spaces ignored (authenticator apps show groups). */
export function decodeBase32(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  assert.ok(clean.length > 0 && clean.length <= 128, 'TOTP secret length out of range');
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    assert.ok(index >= 0, 'TOTP secret is not base32');
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}
