// End to end: a TPP (openid-client over mTLS) quotes, requests and — after the customer approves that
// exact transfer with a one-time code on the bank's page — executes transfers; then sees them in
// status and in both parties' histories. Every refusal of 取引認証 is checked: wrong code, refusal,
// a second execution, another TPP, different details; and idempotency, cancel and future-dated holds.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { nextBusinessDayAfter } from '../../src/bank/calendar.ts';
import { DEFAULT_TRANSFER_FEES } from '../../src/bank/fees.ts';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { addDays, jstDate } from '../../src/bank/jst.ts';
import { verifyLedger } from '../../src/bank/ledger.ts';
import { verifyTransfers } from '../../src/bank/transfers/verify.ts';
import { nextTotpCode, wrongTotpCode } from '../support/authenticator.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { expectPage, TestTpp } from '../support/tpp.ts';
import { approveTransfer, customerActsOnTransfer, PAR_JARM } from '../support/transfers.ts';
import { logIn } from '../support/passkeys.ts';

const tanaka = DEMO_CUSTOMERS[0]!;
const suzuki = DEMO_CUSTOMERS[1]!;
const TANAKA_ACCOUNT = '100011234567';
const SUZUKI_ACCOUNT = '201012345678';

let bank: TestBank;
let tpp: TestTpp;
let otherTpp: TestTpp;
let token: string;

function transferBody(overrides: Record<string, unknown> = {}, item: Record<string, unknown> = {}) {
  return {
    accountId: TANAKA_ACCOUNT,
    transferDesignatedDate: jstDate(new Date()),
    ...overrides,
    transfers: [
      {
        transferAmount: '12000',
        beneficiaryBankCode: '0999',
        beneficiaryBranchCode: '201',
        accountTypeCode: '1',
        accountNumber: '2345678',
        beneficiaryName: 'スズキ ハナコ',
        ...item,
      },
    ],
  };
}

async function request(body: object, key = randomUUID()) {
  return tpp.post('/transfer/request', token, body, { 'x-idempotency-key': key });
}

async function balanceOf(accountId: string): Promise<{ balance: number; withdrawable: number }> {
  const row = await bank.store.db.selectFrom('accounts').select('balance_yen').where('account_id', '=', accountId).executeTakeFirstOrThrow();
  const response = await tpp.api(`/accounts/balances?accountId=${accountId}`, token);
  if (response.status === 200) return { balance: row.balance_yen, withdrawable: Number(response.body.balances[0].withdrawableAmount) };
  return { balance: row.balance_yen, withdrawable: row.balance_yen };
}

before(async () => {
  // A fee table of the operator's own (GINKO_TRANSFER_FEES) reaches the quotes, the requests and the approval page.
  bank = await startTestBank({ GINKO_TRANSFER_FEES: JSON.stringify({ ...DEFAULT_TRANSFER_FEES, otherBank: [{ fromAmountYen: 1, feeYen: 160 }, { fromAmountYen: 30_000, feeYen: 230 }] }) });
  tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt', { name: 'Kakeibo' }));
  otherTpp = await TestTpp.create(bank, await bank.registerTpp('tls_client_auth', { name: 'Other' }));
  token = (await tpp.link({ ...PAR_JARM, loginId: tanaka.loginId, password: tanaka.password, scope: 'openid accounts transfers' })).accessToken;
});

after(async () => {
  await tpp?.close();
  await otherTpp?.close();
  await bank?.stop();
});

describe('transfers end to end', () => {
  test('quote, request, approve with a one-time code, execute at once, and see it everywhere', async () => {
    const fee = await tpp.post('/transfer/transferfee', token, transferBody());
    assert.equal(fee.status, 200, JSON.stringify(fee.body));
    assert.equal(fee.body.totalFee, '110', 'another branch of this bank');
    assert.equal(fee.body.transferFeeDetails[0].transferFee, '110');

    const before = await balanceOf(TANAKA_ACCOUNT);
    const payeeBefore = await balanceOf(SUZUKI_ACCOUNT);
    const created = await request(transferBody());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.resultCode, '2');
    assert.match(created.body.applyNo, /^[0-9]{16}$/);
    assert.deepEqual(created.body.authorizationHint, { authorizationDetailsType: 'jp_transfer', applyNo: created.body.applyNo });
    const applyNo: string = created.body.applyNo;
    assert.equal((await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${applyNo}`, token)).body.resultCode, '2');
    assert.equal((await tpp.api(`/transfer/status?accountId=${TANAKA_ACCOUNT}&queryKeyClass=1&applyNo=${applyNo}`, token)).status, 404, '依頼中 is not in status inquiry');
    assert.equal((await balanceOf(TANAKA_ACCOUNT)).balance, before.balance, 'a request moves no money');

    const approved = await approveTransfer(tpp, applyNo, tanaka);
    assert.ok(approved.login.html.includes('Kakeibo から振込の承認を求められています'), 'the login page says what it is for');
    assert.equal(approved.idTokenClaims?.sub, tanaka.customerId);
    for (const shown of ['12,000円', '110円', '12,110円', 'ｽｽﾞｷ ﾊﾅｺ', '新宿支店', '(201)', '(0999)', '普通', '2345678', applyNo]) {
      assert.ok(approved.page.html.includes(shown), `the approval page shows ${shown}`);
    }
    assert.equal((await tpp.api('/accounts', approved.accessToken)).status, 403, 'an approval grants no account access');

    const result = await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${applyNo}`, token);
    assert.equal(result.body.resultCode, '1');
    assert.ok(result.body.applyEndDatetime);
    const status = await tpp.api(`/transfer/status?accountId=${TANAKA_ACCOUNT}&queryKeyClass=1&applyNo=${applyNo}`, token);
    assert.equal(status.status, 200);
    assert.equal(status.body.transferDetails[0].transferStatus, '20');
    assert.equal(status.body.transferDetails[0].totalDebitAmount, '12110');

    assert.equal((await balanceOf(TANAKA_ACCOUNT)).balance, before.balance - 12_110);
    assert.equal((await balanceOf(SUZUKI_ACCOUNT)).balance, payeeBefore.balance + 12_000);
    const today = jstDate(new Date());
    const history = await tpp.api(`/accounts/transactions?accountId=${TANAKA_ACCOUNT}&dateFrom=${today}`, token);
    const lines = history.body.transactions.slice(-2);
    assert.deepEqual(
      lines.map((l: { amount: string; remarks: string; transactionType: string }) => [l.transactionType, l.amount, l.remarks]),
      [
        ['2', '12000', 'ﾌﾘｺﾐ ｽｽﾞｷ ﾊﾅｺ'],
        ['2', '110', 'ﾌﾘｺﾐﾃｽｳﾘﾖｳ'],
      ],
    );
    assert.equal(Number(lines[1].balance), before.balance - 12_110, 'running balance');

    // The payee sees it in their own history, through their own linking.
    const suzukiToken = (await otherTpp.link({ ...PAR_JARM, loginId: suzuki.loginId, password: suzuki.password, scope: 'openid accounts' })).accessToken;
    const payeeHistory = await otherTpp.api(`/accounts/transactions?accountId=${SUZUKI_ACCOUNT}&dateFrom=${today}`, suzukiToken);
    const credit = payeeHistory.body.transactions.at(-1);
    assert.deepEqual([credit.transactionType, credit.amount, credit.remarks], ['1', '12000', 'ﾌﾘｺﾐ ﾀﾅｶ ﾀﾛｳ']);

    // A second execution of the same approval is refused before the customer sees anything.
    await assert.rejects(
      tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo }] }),
      (error: { error?: string }) => error.error === 'invalid_authorization_details',
    );
    assert.deepEqual(await verifyLedger(bank.store.db), []);
    assert.deepEqual(await verifyTransfers(bank.store.db), []);
  });

  test('a wrong code keeps the page; the TPP that did not request the transfer, or other details, are refused', async () => {
    const { body } = await request(transferBody({}, { transferAmount: '3000' }));
    const applyNo: string = body.applyNo;
    await assert.rejects(
      otherTpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo }] }),
      (error: { error?: string }) => error.error === 'invalid_authorization_details',
      'another TPP cannot have it approved',
    );
    await assert.rejects(
      tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo, transferAmount: '30000' }] }),
      (error: { error?: string }) => error.error === 'invalid_authorization_details',
      'a different amount is refused',
    );
    await assert.rejects(
      tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo, accountNumber: '7777777' }] }),
      (error: { error?: string }) => error.error === 'invalid_authorization_details',
      'a different payee is refused',
    );
    await assert.rejects(
      tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid accounts', authorizationDetails: [{ type: 'jp_transfer', applyNo }] }),
      (error: { error?: string }) => error.error === 'invalid_request',
      'an approval grants nothing else',
    );
    // By value, the same refusal comes back to the redirect URI.
    const byValue = await tpp.authorizationUrl({ requestMethod: 'by_value', responseMode: 'code_id_token', scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo, transferAmount: '1' }] });
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    const landed = await browser.open(byValue.url.href);
    await browser.close();
    assert.ok('tppUrl' in landed && landed.tppUrl.includes('error=invalid_authorization_details'), JSON.stringify(landed).slice(0, 300));

    // The matching details, a wrong code first: the page again with 401, nothing executed.
    const before = await balanceOf(TANAKA_ACCOUNT);
    const browser2 = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    const { url, checks } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo, transferAmount: '3000', beneficiaryName: 'ｽｽﾞｷ ﾊﾅｺ' }] });
    const login = expectPage(await browser2.open(url.href), 'login');
    const page = expectPage(await logIn(browser2, login, tanaka), 'approval');
    const wrong = expectPage(await browser2.submit(page, '/approve-transfer', { totp: await wrongTotpCode(tanaka.loginId) }), 'approval again');
    assert.equal(wrong.status, 401);
    assert.equal((await balanceOf(TANAKA_ACCOUNT)).balance, before.balance);
    const done = await browser2.submit(wrong, '/approve-transfer', { totp: await nextTotpCode(tanaka.loginId) });
    await browser2.close();
    assert.ok('tppUrl' in done);
    await tpp.redeem(done.tppUrl, checks, PAR_JARM);
    assert.equal((await balanceOf(TANAKA_ACCOUNT)).balance, before.balance - 3000 - 110);
  });

  test('refusing on the bank page ends the transfer (resultCode 8) and the TPP gets access_denied', async () => {
    const { body } = await request(transferBody({}, { transferAmount: '5000' }));
    const run = await customerActsOnTransfer(tpp, body.applyNo, tanaka, { refuse: true });
    await assert.rejects(tpp.redeem(run.tppUrl, run.checks, PAR_JARM), (error: { error?: string }) => error.error === 'access_denied');
    const result = await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${body.applyNo}`, token);
    assert.equal(result.body.resultCode, '8');
    const status = await tpp.api(`/transfer/status?accountId=${TANAKA_ACCOUNT}&queryKeyClass=1&applyNo=${body.applyNo}`, token);
    assert.equal(status.body.transferDetails[0].transferStatus, '3');
  });

  test('an approval whose window passes while the page is open ends the transfer as expired (resultCode 8)', async () => {
    const { body } = await request(transferBody({}, { transferAmount: '900' }));
    const before = await balanceOf(TANAKA_ACCOUNT);
    const browser = new CustomerBrowser(bank.pki.caCertificatePem, tpp.redirectUri);
    const { url, checks } = await tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo: body.applyNo }] });
    const login = expectPage(await browser.open(url.href), 'login');
    const page = expectPage(await logIn(browser, login, tanaka), 'approval');
    await bank.store.db.updateTable('transfers').set({ authorisation_expires_at: new Date(Date.now() - 1000) }).where('apply_no', '=', body.applyNo).execute();
    const done = await browser.submit(page, '/approve-transfer', { totp: await nextTotpCode(tanaka.loginId) });
    await browser.close();
    assert.ok('tppUrl' in done);
    await assert.rejects(tpp.redeem(done.tppUrl, checks, PAR_JARM), (error: { error?: string }) => error.error === 'access_denied');
    assert.equal((await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${body.applyNo}`, token)).body.resultCode, '8');
    assert.equal((await balanceOf(TANAKA_ACCOUNT)).balance, before.balance, 'nothing moved');
    await assert.rejects(
      tpp.authorizationUrl({ ...PAR_JARM, scope: 'openid', authorizationDetails: [{ type: 'jp_transfer', applyNo: body.applyNo }] }),
      (error: { error?: string }) => error.error === 'invalid_authorization_details',
      'an expired transfer cannot be approved later',
    );
  });

  test('idempotency: same key and body replays, another body conflicts, no key is refused', async () => {
    const key = randomUUID();
    const first = await request(transferBody({}, { transferAmount: '700' }), key);
    assert.equal(first.status, 201);
    const again = await request(transferBody({}, { transferAmount: '700' }), key);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('x-idempotent-replay'), 'true');
    assert.deepEqual(again.body, first.body);
    const other = await request(transferBody({}, { transferAmount: '701' }), key);
    assert.equal(other.status, 409);
    assert.equal(other.body.errorCode, 'E40901');
    const missing = await tpp.post('/transfer/request', token, transferBody());
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errorCode, 'E40002');
    // Keys are per TPP: the same key at another TPP is its own.
    const count = await bank.store.db.selectFrom('transfers').select((eb) => eb.fn.countAll<number>().as('n')).where('transfer_amount_yen', '=', 700).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1, 'the replay created nothing');
  });

  test('Zengin rules: the offending character and its position, codes, the debit account', async () => {
    const kanji = await request(transferBody({}, { beneficiaryName: 'スズキ花子' }));
    assert.equal(kanji.status, 400);
    assert.equal(kanji.body.errorCode, 'E40001');
    assert.equal(kanji.body.errorDetails[0].path, '/body/transfers/0/beneficiaryName');
    assert.match(kanji.body.errorDetails[0].errorDetailsMessage, /'花' at position 4/);
    const shortCode = await request(transferBody({}, { beneficiaryBankCode: '999' }));
    assert.equal(shortCode.status, 400);
    const unknownBank = await request(transferBody({}, { beneficiaryBankCode: '1234' }));
    assert.equal(unknownBank.status, 400);
    assert.equal(unknownBank.body.errorDetails[0].path, '/body/transfers/0/beneficiaryBankCode');
    const notShared = await request(transferBody({ accountId: '100047654321' }));
    assert.equal(notShared.status, 403);
    assert.equal(notShared.body.errorCode, 'E40302');
    const overLimit = await request(transferBody({}, { transferAmount: '999999999999' }));
    assert.equal(overLimit.status, 400);
  });

  test('a future-dated transfer is held (予約中), lowers withdrawableAmount, and can be cancelled', async () => {
    const date = nextBusinessDayAfter(addDays(jstDate(new Date()), 1));
    const before = await balanceOf(TANAKA_ACCOUNT);
    const { body } = await request(transferBody({ transferDesignatedDate: date }, { transferAmount: '40000', beneficiaryBankCode: '0005', beneficiaryBranchCode: '001', beneficiaryName: 'ﾔﾏﾀﾞ ｲﾁﾛｳ' }));
    assert.equal(body.totalFee, '230', 'the configured fee table');
    await approveTransfer(tpp, body.applyNo, tanaka);
    const status = await tpp.api(`/transfer/status?accountId=${TANAKA_ACCOUNT}&queryKeyClass=1&applyNo=${body.applyNo}`, token);
    assert.equal(status.body.transferDetails[0].transferStatus, '11');
    const held = await balanceOf(TANAKA_ACCOUNT);
    assert.equal(held.balance, before.balance, 'nothing is posted before the day');
    assert.equal(held.withdrawable, before.withdrawable - 40_230);

    const wrongClass = await tpp.post('/transfer/cancel', token, { accountId: TANAKA_ACCOUNT, cancelTargetKeyClass: '1', applyNo: body.applyNo }, { 'x-idempotency-key': randomUUID() });
    assert.equal(wrongClass.status, 409);
    const key = randomUUID();
    const cancelled = await tpp.post('/transfer/cancel', token, { accountId: TANAKA_ACCOUNT, cancelTargetKeyClass: '2', applyNo: body.applyNo }, { 'x-idempotency-key': key });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    const replay = await tpp.post('/transfer/cancel', token, { accountId: TANAKA_ACCOUNT, cancelTargetKeyClass: '2', applyNo: body.applyNo }, { 'x-idempotency-key': key });
    assert.equal(replay.headers.get('x-idempotent-replay'), 'true');
    const after = await tpp.api(`/transfer/status?accountId=${TANAKA_ACCOUNT}&queryKeyClass=1&applyNo=${body.applyNo}`, token);
    assert.equal(after.body.transferDetails[0].transferStatus, '8');
    assert.equal((await balanceOf(TANAKA_ACCOUNT)).withdrawable, before.withdrawable, 'the hold is released');

    const list = await tpp.api(`/transfer/status?accountId=${TANAKA_ACCOUNT}&queryKeyClass=2&requestTransferTerm=2&dateFrom=${date}&dateTo=${date}`, token);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.transferDetails.map((d: { applyNo: string }) => d.applyNo), [body.applyNo]);
  });

  test('a transfer still awaiting approval can be withdrawn; scopes are per route', async () => {
    const { body } = await request(transferBody({}, { transferAmount: '800' }));
    const withdrawn = await tpp.post('/transfer/cancel', token, { accountId: TANAKA_ACCOUNT, cancelTargetKeyClass: '1', applyNo: body.applyNo }, { 'x-idempotency-key': randomUUID() });
    assert.equal(withdrawn.status, 200);
    assert.equal((await tpp.api(`/transfer/request-result?accountId=${TANAKA_ACCOUNT}&applyNo=${body.applyNo}`, token)).body.resultCode, '8');
    await assert.rejects(customerActsOnTransfer(tpp, body.applyNo, tanaka, { approve: true }));

    const readOnly = (await tpp.link({ ...PAR_JARM, loginId: tanaka.loginId, password: tanaka.password, scope: 'openid accounts' })).accessToken;
    const refused = await tpp.post('/transfer/transferfee', readOnly, transferBody());
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errorCode, 'E40301');
    assert.match(refused.headers.get('www-authenticate') ?? '', /scope="transfers"/);
    const transfersOnly = (await tpp.link({ ...PAR_JARM, loginId: tanaka.loginId, password: tanaka.password, scope: 'openid transfers' })).accessToken;
    assert.equal((await tpp.api('/accounts', transfersOnly)).status, 403);
    assert.equal((await tpp.post('/transfer/transferfee', transfersOnly, transferBody())).status, 200);
  });
});
