// The signing-key schedule as data (auth/key-set.ts): which key signs and which are published at any
// instant, across a rotation; a rotation refused while one is under way; key files written before
// rotation existed (bare JWKs) still load, as keys published and signing since always.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { newKeySet, parseKeySet, publishedAt, rotatedKeySet, serializeKeySet, signerAt, type KeySet } from '../src/auth/key-set.ts';

const T0 = Date.parse('2026-04-01T00:00:00Z');
const LEAD_SECONDS = 3600;
const RETENTION_SECONDS = 360;
const at = (seconds: number) => T0 + seconds * 1000;

let first: KeySet;
let rotated: KeySet;

before(async () => {
  first = await newKeySet(T0);
  rotated = await rotatedKeySet(first, { nowMs: at(100), publishLeadSeconds: LEAD_SECONDS, retentionSeconds: RETENTION_SECONDS });
});

const kid = (set: KeySet, index: number) => set.signingKeys[index]!.jwk.kid;
const published = (set: KeySet, seconds: number) => publishedAt(set, at(seconds), RETENTION_SECONDS).map((key) => key.jwk.kid);

test('a rotation publishes the next keys at once, signs with them after the lead, and keeps the old ones for the retention', () => {
  const [oldPs, oldEs, newPs, newEs] = [0, 1, 2, 3].map((index) => kid(rotated, index));
  assert.deepEqual(rotated.signingKeys.map((key) => key.jwk.alg), ['PS256', 'ES256', 'PS256', 'ES256']);
  assert.deepEqual(published(rotated, 99), [oldPs, oldEs], 'not before the rotation');
  assert.deepEqual(published(rotated, 100), [oldPs, oldEs, newPs, newEs]);
  assert.equal(signerAt(rotated, 'PS256', at(100 + LEAD_SECONDS - 1))?.jwk.kid, oldPs, 'the old key signs until the lead is over');
  assert.equal(signerAt(rotated, 'PS256', at(100 + LEAD_SECONDS))?.jwk.kid, newPs);
  assert.equal(signerAt(rotated, 'ES256', at(100 + LEAD_SECONDS))?.jwk.kid, newEs);
  assert.deepEqual(published(rotated, 100 + LEAD_SECONDS + RETENTION_SECONDS - 1), [oldPs, oldEs, newPs, newEs], 'the old keys stay while what they signed may be checked');
  assert.deepEqual(published(rotated, 100 + LEAD_SECONDS + RETENTION_SECONDS), [newPs, newEs]);
});

test('a rotation is refused while the previous one waits; the one after prunes retired keys', async () => {
  await assert.rejects(rotatedKeySet(rotated, { nowMs: at(200), publishLeadSeconds: LEAD_SECONDS, retentionSeconds: RETENTION_SECONDS }), /a rotation is under way/);
  const third = await rotatedKeySet(rotated, { nowMs: at(100 + LEAD_SECONDS + RETENTION_SECONDS), publishLeadSeconds: LEAD_SECONDS, retentionSeconds: RETENTION_SECONDS });
  assert.deepEqual(third.signingKeys.slice(0, 2).map((key) => key.jwk.kid), [kid(rotated, 2), kid(rotated, 3)]);
  assert.equal(third.signingKeys.length, 4);
  assert.deepEqual(third.cookieKeys, first.cookieKeys, 'cookie secrets are kept');
});

test('the file form round-trips; a file of bare JWKs (before rotation) loads as keys signing since always', () => {
  assert.deepEqual(parseKeySet(serializeKeySet(rotated)), rotated);
  const legacy = parseKeySet(JSON.stringify({ signingKeys: first.signingKeys.map((key) => key.jwk), cookieKeys: first.cookieKeys }));
  assert.equal(signerAt(legacy, 'ES256', 0)?.jwk.kid, kid(first, 1));
  assert.equal(publishedAt(legacy, Date.now(), RETENTION_SECONDS).length, 2);
});

test('a key set that cannot be used is refused, naming what is wrong and no key material', () => {
  const refusal = (value: unknown) => {
    try {
      parseKeySet(typeof value === 'string' ? value : JSON.stringify(value));
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail('accepted');
  };
  assert.match(refusal('{"signingKeys": '), /not JSON/);
  assert.match(refusal({ signingKeys: [], cookieKeys: first.cookieKeys }), /1 to 32 keys/);
  assert.match(refusal({ signingKeys: [first.signingKeys[0]!.jwk], cookieKeys: first.cookieKeys }), /no ES256 signing key/);
  const withoutPrivate = { ...first.signingKeys[0]!.jwk, d: undefined };
  const message = refusal({ signingKeys: [withoutPrivate, first.signingKeys[1]!.jwk], cookieKeys: first.cookieKeys });
  assert.match(message, /signingKeys\[0\] is not a private PS256 or ES256 JWK/);
  assert.ok(!message.includes(first.signingKeys[1]!.jwk.d!));
  const stored = JSON.parse(serializeKeySet(first));
  stored.signingKeys[0].signFrom = '2020-01-01T00:00:00Z';
  assert.match(refusal(stored), /signFrom not before publishFrom/);
  assert.match(refusal({ signingKeys: first.signingKeys.map((key) => key.jwk), cookieKeys: ['short'] }), /cookieKeys/);
});
