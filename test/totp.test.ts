// RFC 6238 Appendix B test vectors (SHA-1, the 20-byte ASCII secret "12345678901234567890"), truncated to
// the 6 digits authenticator apps show; and the bank's acceptance window.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBase32, encodeBase32, matchingTotpStep, totpCode, totpStepAt } from '../src/bank/totp.ts';

const RFC_SECRET = encodeBase32(Buffer.from('12345678901234567890'));

describe('TOTP (RFC 6238)', () => {
  test('the RFC test vectors', () => {
    assert.equal(RFC_SECRET, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    const vectors: [number, string][] = [
      [59, '287082'],
      [1111111109, '081804'],
      [1111111111, '050471'],
      [1234567890, '005924'],
      [2000000000, '279037'],
      [20000000000, '353130'],
    ];
    for (const [seconds, code] of vectors) assert.equal(totpCode(RFC_SECRET, totpStepAt(new Date(seconds * 1000))), code, `T=${seconds}`);
  });

  test('base32 round trip, case and spaces ignored', () => {
    const bytes = Buffer.from('any secret bytes!');
    assert.deepEqual(decodeBase32(encodeBase32(bytes)), bytes);
    assert.deepEqual(decodeBase32('gezd gnbv gy3t qojq gezd gnbv gy3t qojq'), Buffer.from('12345678901234567890'));
  });

  test('accepts the current step and one either side, nothing else', () => {
    const now = new Date(1_700_000_000_000);
    const step = totpStepAt(now);
    for (const offset of [-1, 0, 1]) assert.equal(matchingTotpStep(RFC_SECRET, totpCode(RFC_SECRET, step + offset), now), step + offset);
    for (const offset of [-3, -2, 2, 3]) {
      const code = totpCode(RFC_SECRET, step + offset);
      const collides = [-1, 0, 1].some((o) => totpCode(RFC_SECRET, step + o) === code);
      if (!collides) assert.equal(matchingTotpStep(RFC_SECRET, code, now), undefined);
    }
    assert.equal(matchingTotpStep(RFC_SECRET, '12345', now), undefined);
    assert.equal(matchingTotpStep(RFC_SECRET, '1234567', now), undefined);
  });
});
