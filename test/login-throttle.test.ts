// The failed-login throttle on its own, with a clock the test moves: the free failures, a delay that doubles from
// the first one, the lock at the limit and its end, a success clearing the count, and each login ID counted apart.
// And the essential `acr` a request may carry (auth/acr.ts), malformed ones included.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACR, essentialAcrs, methodAllowed } from '../src/auth/acr.ts';
import { clearLoginFailures, loginGate, recordLoginFailure, type LoginThrottlePolicy } from '../src/security/login-throttle.ts';
import { openStore, type Store } from '../src/store/db.ts';

const POLICY: LoginThrottlePolicy = { backoffAfterFailures: 2, backoffSeconds: 5, lockAfterFailures: 5, lockSeconds: 600 };
const T0 = new Date('2026-04-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let store: Store;
before(async () => {
  store = await openStore({ inMemory: true });
});
after(async () => {
  await store?.close();
});

test('two free failures, then a delay of 5, 10, 20 s from each failure, then a lock of 600 s', async () => {
  const id = 'alice';
  assert.deepEqual(await loginGate(store.db, id, POLICY, T0), { open: true });
  await recordLoginFailure(store.db, id, POLICY, at(0));
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(0)), { open: true }, 'one failure costs nothing');
  await recordLoginFailure(store.db, id, POLICY, at(1));
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(5.9)), { open: false, until: at(6), locked: false });
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(6)), { open: true });
  await recordLoginFailure(store.db, id, POLICY, at(6));
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(15)), { open: false, until: at(16), locked: false }, 'doubled');
  await recordLoginFailure(store.db, id, POLICY, at(16));
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(35)), { open: false, until: at(36), locked: false }, 'doubled again');
  const fifth = await recordLoginFailure(store.db, id, POLICY, at(36));
  assert.deepEqual(fifth, { failures: 5, lockedUntil: at(636) });
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(635)), { open: false, until: at(636), locked: true });
  assert.deepEqual(await loginGate(store.db, 'bob', POLICY, at(100)), { open: true }, 'another login ID is not affected');
  // After the lock the count starts again.
  assert.deepEqual(await loginGate(store.db, id, POLICY, at(636)), { open: true });
  assert.equal((await recordLoginFailure(store.db, id, POLICY, at(700))).failures, 1);
  await clearLoginFailures(store.db, id);
  assert.equal((await store.db.selectFrom('login_failures').selectAll().execute()).length, 0, 'a success forgets the count');
});

test('concurrent failures all count (one atomic upsert each)', async () => {
  await Promise.all(Array.from({ length: 5 }, () => recordLoginFailure(store.db, 'carol', POLICY, at(0))));
  assert.equal((await loginGate(store.db, 'carol', POLICY, at(1))).open, false);
  const row = await store.db.selectFrom('login_failures').select(['failures', 'locked_until']).executeTakeFirstOrThrow();
  assert.deepEqual(row, { failures: 5, locked_until: at(600) });
});

test('an essential acr is read from the claims parameter, as a string or an object; anything else asks for none', () => {
  const passkeyOnly = { id_token: { acr: { essential: true, values: [ACR.phishingResistant] } } };
  assert.deepEqual(essentialAcrs(JSON.stringify(passkeyOnly)), [ACR.phishingResistant]);
  assert.deepEqual(essentialAcrs(passkeyOnly), [ACR.phishingResistant]);
  assert.deepEqual(essentialAcrs(JSON.stringify({ id_token: { acr: { essential: true, value: ACR.multiFactor } } })), [ACR.multiFactor]);
  for (const malformed of [undefined, '', '{', 'null', '[]', JSON.stringify({ id_token: { acr: { values: [ACR.multiFactor] } } }), JSON.stringify({ id_token: { acr: 'x' } })]) {
    assert.equal(essentialAcrs(malformed), undefined, String(malformed));
  }
  assert.equal(methodAllowed('password-and-code', [ACR.phishingResistant]), false);
  assert.equal(methodAllowed('passkey', [ACR.phishingResistant]), true);
  assert.equal(methodAllowed('passkey', undefined), true);
  assert.equal(methodAllowed('passkey', ['urn:other:level']), false, 'a level the bank does not offer: neither way');
});
