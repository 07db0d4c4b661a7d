import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from '../src/bank/passwords.ts';

test('scrypt hashes are salted, versioned, and verify only the right password', async () => {
  const [first, second] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
  assert.match(first, /^scrypt\$1\$ln=15,r=8,p=3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(first, second, 'a random salt per hash');
  assert.equal(await verifyPassword('correct horse', first), true);
  assert.equal(await verifyPassword('correct horse', second), true);
  assert.equal(await verifyPassword('correct hors', first), false);
  assert.equal(await verifyPassword('', first), false);
  assert.equal(await verifyPassword('x'.repeat(5000), first), false);
});

test('a stored hash in an unknown format or with an absurd cost is corrupt data', async () => {
  await assert.rejects(verifyPassword('pw', 'plaintext'), /known format/);
  const hash = await hashPassword('pw');
  await assert.rejects(verifyPassword('pw', hash.replace('ln=15', 'ln=30')), /out-of-range/);
});
