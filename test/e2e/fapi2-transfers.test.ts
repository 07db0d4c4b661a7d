// RFC 9396 rich authorization requests under the FAPI 2.0 Security Profile, end to end: a FAPI 2.0 TPP
// (openid-client; tokens bound to its certificate or to a DPoP key) requests a transfer through the
// transfer API, pushes `authorization_details` [{type:'jp_transfer', applyNo}] with plain PAR parameters,
// the customer approves it on the bank's page with a one-time code, the token response names what was
// approved (the conformance plan's `rar` variant), and the transfer API shows it executed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fetch } from 'undici';
import type { SenderConstraint } from '../../src/auth/fapi-profiles.ts';
import { jstDate } from '../../src/bank/jst.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { CUSTOMER } from '../support/conformance.ts';
import { Fapi2Tpp, type OpenIdVariant } from '../support/fapi2-tpp.ts';
import { customerActsOnApprovalPage, transferDetails } from '../support/transfers.ts';

let bank: TestBank;
const tpps: Fapi2Tpp[] = [];

before(async () => {
  bank = await startTestBank();
});

after(async () => {
  for (const tpp of tpps) await tpp.close();
  await bank.stop();
});

async function fapi2Tpp(senderConstraint: SenderConstraint, variant: OpenIdVariant): Promise<Fapi2Tpp> {
  const tpp = await Fapi2Tpp.create(bank, await bank.registerTpp('private_key_jwt', { profile: 'fapi2', senderConstraint }), variant);
  tpps.push(tpp);
  return tpp;
}

/** A linked TPP with the `transfers` scope and one of the customer's accounts, and a transfer it requested from it. */
async function requestedTransfer(tpp: Fapi2Tpp, variant: OpenIdVariant): Promise<{ accessToken: string; accountId: string; applyNo: string }> {
  const accessToken = (await tpp.link(variant, CUSTOMER, 'accounts transfers')).access_token;
  const accounts = await tpp.api('/accounts', accessToken);
  const accountId: string = accounts.body.accounts[0].accountId;
  const created = await tpp.call('POST', '/transfer/request', accessToken, {
    accountId,
    transferDesignatedDate: jstDate(new Date()),
    transfers: [{ transferAmount: '3000', beneficiaryBankCode: '0999', beneficiaryBranchCode: '201', accountTypeCode: '1', accountNumber: '2345678', beneficiaryName: 'スズキ ハナコ' }],
  }, { 'x-idempotency-key': randomUUID() });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.resultCode, '2', '依頼中: awaiting the customer');
  return { accessToken, accountId, applyNo: created.body.applyNo };
}

describe('a transfer approved through FAPI 2.0 with authorization_details', () => {
  for (const [senderConstraint, variant] of [['mtls', 'openid_connect'], ['dpop', 'openid_connect'], ['dpop', 'plain_oauth']] as const) {
    test(`${senderConstraint} × ${variant}: PAR, approval with a one-time code, the details in the token response, executed`, async () => {
      const tpp = await fapi2Tpp(senderConstraint, variant);
      const { accessToken, accountId, applyNo } = await requestedTransfer(tpp, variant);
      const requested = transferDetails(applyNo, { transferAmount: '3000' });
      const { url, checks } = await tpp.authorizationUrl(variant, { scope: '', authorizationDetails: requested });
      const approval = await customerActsOnApprovalPage(bank.pki.caCertificatePem, tpp.redirectUri, url, CUSTOMER, { approve: true });
      assert.ok(approval.page.html.includes('3,000円'), 'the approval page shows the amount');
      const tokens = await tpp.redeem(approval.tppUrl, checks);
      assert.deepEqual(tokens.authorization_details, requested, 'RFC 9396 §7: the token response names what the customer approved');
      assert.equal(tokens.id_token !== undefined, variant === 'openid_connect');
      const result = await tpp.api(`/transfer/request-result?accountId=${accountId}&applyNo=${applyNo}`, accessToken);
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.equal(result.body.resultCode, '1', '手続済: executed');
      // The approval's own token reads nothing: it was for that transfer only.
      assert.equal((await tpp.api('/accounts', tokens.access_token)).status, 403);
    });
  }

  test('discovery names the one authorization_details type (RFC 9396 §10)', async () => {
    const metadata = await (await fetch(`${bank.config.browser.publicUrl}/.well-known/oauth-authorization-server`, { dispatcher: tpps[0]!.agent })).json() as Record<string, unknown>;
    assert.deepEqual(metadata.authorization_details_types_supported, ['jp_transfer']);
  });

  test('an ordinary linking\'s token response has no authorization_details', async () => {
    const tpp = await fapi2Tpp('mtls', 'openid_connect');
    const tokens = await tpp.link('openid_connect', CUSTOMER);
    assert.equal(tokens.authorization_details, undefined);
  });

  test('details that ask for more than one transfer\'s approval are refused at PAR, before the customer sees anything', async () => {
    const tpp = await fapi2Tpp('dpop', 'openid_connect');
    const { applyNo } = await requestedTransfer(tpp, 'openid_connect');
    for (const [what, request] of [
      ['with the accounts scope', { scope: 'accounts', authorizationDetails: transferDetails(applyNo) }],
      ['another amount', { scope: '', authorizationDetails: transferDetails(applyNo, { transferAmount: '3001' }) }],
      ['an unknown transfer', { scope: '', authorizationDetails: transferDetails('9'.repeat(16)) }],
    ] as const) {
      await assert.rejects(tpp.authorizationUrl('openid_connect', request), (error: { error?: string }) => {
        assert.match(String(error.error), /^(invalid_request|invalid_authorization_details)$/, what);
        return true;
      });
    }
  });
});
