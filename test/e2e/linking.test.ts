// End to end: a TPP links a demo customer's account through every FAPI 1.0 Advanced variant
// (client auth × request method × response mode), reads accounts, balances and paged transactions,
// refreshes, and revokes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import type { TppAuthMethod } from '../../src/tpp/registry.ts';
import { noticeArrival, notices } from '../support/access-notices.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { TestTpp, type RequestMethod, type ResponseMode } from '../support/tpp.ts';

const customer = DEMO_CUSTOMERS[0]!;
const AUTH_METHODS: TppAuthMethod[] = ['private_key_jwt', 'tls_client_auth'];
const REQUEST_METHODS: RequestMethod[] = ['by_value', 'par'];
const RESPONSE_MODES: ResponseMode[] = ['code_id_token', 'jarm'];

let bank: TestBank;
const tpps = new Map<TppAuthMethod, TestTpp>();

before(async () => {
  bank = await startTestBank();
  for (const method of AUTH_METHODS) tpps.set(method, await TestTpp.create(bank, await bank.registerTpp(method)));
});

after(async () => {
  for (const tpp of tpps.values()) await tpp.close();
  await bank?.stop();
});

for (const authMethod of AUTH_METHODS) {
  for (const requestMethod of REQUEST_METHODS) {
    for (const responseMode of RESPONSE_MODES) {
      describe(`${authMethod} × ${requestMethod} × ${responseMode}`, () => {
        test('links an account, reads it, refreshes and revokes', async () => {
          const tpp = tpps.get(authMethod)!;
          const tokens = await tpp.link({ requestMethod, responseMode, loginId: customer.loginId, password: customer.password });
          assert.ok(tokens.refreshToken, 'offline_access yields a refresh token');
          assert.equal(tokens.idTokenClaims?.sub, customer.customerId);

          const accounts = await tpp.api('/accounts', tokens.accessToken);
          assert.equal(accounts.status, 200);
          assert.equal(accounts.body.accounts.length, 1, 'only the one account chosen on the consent page is visible');
          const accountId: string = accounts.body.accounts[0].accountId;

          const balances = await tpp.api(`/accounts/balances?accountId=${accountId}`, tokens.accessToken);
          assert.equal(balances.status, 200);
          assert.match(balances.body.balances[0].balance, /^-?\d+$/);

          const firstPage = await tpp.api(`/accounts/transactions?accountId=${accountId}&dateFrom=2000-01-01`, tokens.accessToken);
          assert.equal(firstPage.status, 200);
          assert.ok(firstPage.body.transactions.length > 0);
          if (firstPage.body.hasNext) {
            const next = await tpp.api(
              `/accounts/transactions?accountId=${accountId}&dateFrom=2000-01-01&nextItemKey=${firstPage.body.nextItemKey}`,
              tokens.accessToken,
            );
            assert.equal(next.status, 200);
            assert.notEqual(next.body.transactions[0].itemKey, firstPage.body.transactions[0].itemKey);
          }

          const refreshed = await tpp.refresh(tokens.refreshToken!);
          assert.notEqual(refreshed.accessToken, tokens.accessToken);
          assert.equal((await tpp.api('/accounts', refreshed.accessToken)).status, 200);

          const seen = await notices(bank);
          await tpp.revoke(refreshed.refreshToken!);
          // The access cache's bound (src/api/access-cache.ts): refused from the moment the revocation's notice arrives.
          await noticeArrival(bank, seen);
          assert.equal((await tpp.api('/accounts', refreshed.accessToken)).status, 401, 'revoking the refresh token ends the grant');
          await assert.rejects(tpp.refresh(refreshed.refreshToken!), (error: { error?: string }) => error.error === 'invalid_grant');
        });
      });
    }
  }
}
