// The transfer lifecycle on the ledger, below HTTP: approval bound to the TPP and the customer and good
// once; expiry; execution inside the bank and to other banks through simulated clearing (settled or
// returned); future-dated transfers held and executed by the scheduler exactly once; the calendar, the
// cut-off and モアタイム; and after everything the ledger's invariants. On the embedded store, or on
// PostgreSQL with GINKO_TEST_STORE=postgres (where concurrent approvals really run at once).
import { verifyAuditChain } from '../src/security/audit-verify.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_CUSTOMERS, seedDemoBank } from '../src/bank/demo-data.ts';
import { INTERNAL_ACCOUNTS } from '../src/bank/internal-accounts.ts';
import { addDays, jstDate, jstInstant } from '../src/bank/jst.ts';
import { verifyLedger } from '../src/bank/ledger.ts';
import { approveTransfer, recordWrongCode } from '../src/bank/transfers/authorise.ts';
import { cancelTransfer } from '../src/bank/transfers/cancel.ts';
import { heldYen } from '../src/bank/transfers/execute.ts';
import { TransferInputError, TransferRefusedError, type TransferInstruction } from '../src/bank/transfers/model.ts';
import { DEFAULT_TRANSFER_POLICY } from '../src/bank/transfers/policy.ts';
import { planTransfer, requestTransfer } from '../src/bank/transfers/request.ts';
import { runDueTransferWork } from '../src/bank/transfers/scheduler.ts';
import { verifyTransfers } from '../src/bank/transfers/verify.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { createScratchDatabase, type ScratchDatabase } from './support/postgres.ts';

const policy = DEFAULT_TRANSFER_POLICY;
const tanaka = DEMO_CUSTOMERS[0]!;
const suzuki = DEMO_CUSTOMERS[1]!;
const TANAKA_ACCOUNT = '100011234567';
const CLIENT = 'tpp-one';
const access = { customerId: tanaka.customerId, clientId: CLIENT, accountIds: [TANAKA_ACCOUNT] };

let store: Store;
let database: ScratchDatabase | undefined;
/** The ledger keeps postings in time order, so the test's clock only moves forward. */
let clock = new Date();
const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

function instruction(overrides: Partial<TransferInstruction> = {}): TransferInstruction {
  return {
    accountId: TANAKA_ACCOUNT,
    designatedDate: jstDate(clock),
    holidayCode: '1',
    amountYen: 10_000,
    beneficiaryBankCode: '0005',
    beneficiaryBranchCode: '001',
    beneficiaryAccountType: '1',
    beneficiaryAccountNumber: '1112223',
    beneficiaryName: 'ﾔﾏﾀﾞ ﾊﾅｺ',
    ...overrides,
  };
}

async function balance(accountId: string): Promise<number> {
  return (await store.db.selectFrom('accounts').select('balance_yen').where('account_id', '=', accountId).executeTakeFirstOrThrow()).balance_yen;
}

async function state(applyNo: string) {
  return store.db.selectFrom('transfers').selectAll().where('apply_no', '=', applyNo).executeTakeFirstOrThrow();
}

const party = (applyNo: string) => ({ applyNo, clientId: CLIENT, customerId: tanaka.customerId });

before(async () => {
  database = process.env.GINKO_TEST_STORE === 'postgres' ? await createScratchDatabase() : undefined;
  store = await openStore(database ? { databaseUrl: database.url } : { inMemory: true });
  await seedDemoBank(store.db, { now: clock });
  for (const clientId of [CLIENT, 'tpp-two']) {
    await store.db.insertInto('tpps').values({ client_id: clientId, name: clientId, registration_number: null, status: 'active', metadata: '{}' }).execute();
  }
});

after(async () => {
  assert.deepEqual(await verifyLedger(store.db), [], 'the ledger balances after everything');
  assert.deepEqual(await verifyTransfers(store.db), [], 'every transfer has exactly its entries');
  assert.equal((await verifyAuditChain(store.db)).intact, true, 'the audit chain is intact');
  await store?.close();
  await database?.drop();
});

/** The audit entries of one transfer, oldest first. */
async function auditedActions(applyNo: string): Promise<string[]> {
  const rows = await store.db.selectFrom('audit_log').select('body').orderBy('seq').execute();
  return rows.map((row) => JSON.parse(row.body) as { action: string; applyNo?: string }).filter((entry) => entry.applyNo === applyNo).map((entry) => entry.action);
}

describe('approval (取引認証)', () => {
  test('bound to the TPP and the customer, good once', async () => {
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction({ beneficiaryBankCode: '0999', beneficiaryBranchCode: '201', beneficiaryAccountNumber: '2345678', beneficiaryName: 'ｽｽﾞｷ ﾊﾅｺ' }), clock);
    await assert.rejects(approveTransfer(store.db, { ...party(applyNo), clientId: 'tpp-two' }, clock), (e: TransferRefusedError) => e.reason === 'other-tpp');
    await assert.rejects(approveTransfer(store.db, { ...party(applyNo), customerId: suzuki.customerId }, clock), (e: TransferRefusedError) => e.reason === 'other-customer');
    const before = await balance(TANAKA_ACCOUNT);
    const results = await Promise.allSettled([approveTransfer(store.db, party(applyNo), later(1000)), approveTransfer(store.db, party(applyNo), clock)]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'two approvals at once: one executes');
    assert.equal((results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<string>).value, 'completed');
    assert.equal(await balance(TANAKA_ACCOUNT), before - 10_110);
    await assert.rejects(approveTransfer(store.db, party(applyNo), clock), (e: TransferRefusedError) => e.reason === 'not-awaiting-authorisation');
  });

  test('an approval after the window expires the transfer', async () => {
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction(), clock);
    const tooLate = new Date(clock.getTime() + (policy.authorisationTtlSeconds + 1) * 1000);
    await assert.rejects(approveTransfer(store.db, party(applyNo), tooLate), (e: TransferRefusedError) => e.reason === 'authorisation-expired');
    assert.equal((await state(applyNo)).status, 'expired');
  });

  test('the scheduler expires lapsed approvals; wrong codes beyond the limit reject', async () => {
    const { applyNo: lapsed } = await requestTransfer(store.db, policy, access, instruction(), clock);
    await runDueTransferWork(store.db, policy, new Date(clock.getTime() + (policy.authorisationTtlSeconds + 1) * 1000));
    assert.equal((await state(lapsed)).status, 'expired');
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction(), clock);
    for (let i = 1; i < policy.totpAttemptsMax; i++) assert.equal(await recordWrongCode(store.db, party(applyNo), policy.totpAttemptsMax, clock), true);
    assert.equal(await recordWrongCode(store.db, party(applyNo), policy.totpAttemptsMax, clock), false);
    assert.equal((await state(applyNo)).status, 'rejected');
  });
});

describe('execution', () => {
  test('to another bank: debit to the clearing account (手続中), then settled (手続済)', async () => {
    const clearingBefore = await balance(INTERNAL_ACCOUNTS.zenginClearing.accountId);
    const feesBefore = await balance(INTERNAL_ACCOUNTS.feeIncome.accountId);
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction({ amountYen: 30_000, designatedDate: jstDate(clock) }), clock);
    assert.equal((await state(applyNo)).fee_yen, 229);
    const outcome = await approveTransfer(store.db, party(applyNo), later(1000));
    assert.equal(outcome, 'in_clearing');
    assert.equal(await balance(INTERNAL_ACCOUNTS.zenginClearing.accountId), clearingBefore + 30_000);
    assert.equal(await balance(INTERNAL_ACCOUNTS.feeIncome.accountId), feesBefore + 229);
    await runDueTransferWork(store.db, policy, later(1000));
    assert.equal((await state(applyNo)).status, 'completed');
  });

  test('returned by the receiving bank (資金返却): the amount comes back, the fee does not', async () => {
    const before = await balance(TANAKA_ACCOUNT);
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction({ beneficiaryAccountNumber: '9999999' }), clock);
    await approveTransfer(store.db, party(applyNo), later(1000));
    await runDueTransferWork(store.db, policy, later(1000));
    const returned = await state(applyNo);
    assert.equal(returned.status, 'returned');
    assert.ok(returned.return_entry_id);
    assert.equal(await balance(TANAKA_ACCOUNT), before - 154);
  });

  test('future-dated: held, executed on its day by the scheduler exactly once, and cancellable before', async () => {
    const day = addDays(jstDate(clock), 7);
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction({ designatedDate: day, holidayCode: '1' }), clock);
    const executionDate = (await state(applyNo)).execution_date;
    assert.equal(await approveTransfer(store.db, party(applyNo), later(1000)), 'reserved');
    assert.equal(await heldYen(store.db, TANAKA_ACCOUNT), 10_154);
    const { applyNo: cancelled } = await requestTransfer(store.db, policy, access, instruction({ designatedDate: day }), clock);
    await approveTransfer(store.db, party(cancelled), later(1000));
    assert.equal(await cancelTransfer(store.db, { ...party(cancelled), accountId: TANAKA_ACCOUNT }, clock), 'cancelled');
    await assert.rejects(cancelTransfer(store.db, { ...party(cancelled), accountId: TANAKA_ACCOUNT }, clock), (e: TransferRefusedError) => e.reason === 'not-cancellable');

    const before = await balance(TANAKA_ACCOUNT);
    assert.equal((await runDueTransferWork(store.db, policy, later(1000))).executed, 0, 'not before its day');
    const onTheDay = jstInstant(executionDate, 0, 5);
    clock = onTheDay;
    const runs = await Promise.all([runDueTransferWork(store.db, policy, clock), runDueTransferWork(store.db, policy, clock)]);
    assert.equal(runs[0].executed + runs[1].executed, 1, 'executed once however many runs');
    assert.equal((await runDueTransferWork(store.db, policy, later(1000))).executed, 0);
    assert.equal(await balance(TANAKA_ACCOUNT), before - 10_154);
    assert.equal(await heldYen(store.db, TANAKA_ACCOUNT), 0);
    assert.equal((await state(applyNo)).status, 'completed', 'settled by the same runs');
    // Every change of state is in the audit chain (by trigger), whichever code path made it.
    assert.deepEqual(await auditedActions(applyNo), ['transfer.awaiting_authorisation', 'transfer.reserved', 'transfer.in_clearing', 'transfer.completed']);
    assert.deepEqual(await auditedActions(cancelled), ['transfer.awaiting_authorisation', 'transfer.reserved', 'transfer.cancelled']);
  });

  test('held money is not available to other transfers; the reservation still runs on its day', async () => {
    const { applyNo } = await requestTransfer(store.db, policy, access, instruction({ designatedDate: addDays(jstDate(clock), 3), amountYen: 1000 }), clock);
    await approveTransfer(store.db, party(applyNo), later(1000));
    // Move everything but the hold to the customer's own savings account (same branch: no fee), within the limits.
    const ownSavings = { beneficiaryBankCode: '0999', beneficiaryBranchCode: '100', beneficiaryAccountType: '4' as const, beneficiaryAccountNumber: '7654321', beneficiaryName: 'ﾀﾅｶ ﾀﾛｳ' };
    for (let left = (await balance(TANAKA_ACCOUNT)) - 1154; left > 0; left = (await balance(TANAKA_ACCOUNT)) - 1154) {
      const { applyNo: drain } = await requestTransfer(store.db, policy, access, instruction({ ...ownSavings, amountYen: Math.min(left, 1_000_000) }), clock);
      assert.equal(await approveTransfer(store.db, party(drain), later(1000)), 'completed');
    }
    const { applyNo: more } = await requestTransfer(store.db, policy, access, instruction({ ...ownSavings, amountYen: 1 }), clock);
    assert.equal(await approveTransfer(store.db, party(more), later(1000)), 'failed', 'the held money is not available');
    assert.equal((await state(more)).debit_entry_id, null, 'a failed transfer posts nothing');
    assert.equal(await balance(TANAKA_ACCOUNT), 1154, 'exactly the hold is left');
    clock = jstInstant((await state(applyNo)).execution_date, 0, 5);
    await runDueTransferWork(store.db, policy, clock);
    assert.equal((await state(applyNo)).status, 'completed');
    assert.equal(await balance(TANAKA_ACCOUNT), 0);
  });
});

describe('verifyTransfers', () => {
  test('finds an executed transfer whose entries are not exactly its own, and an entry serving two', async () => {
    const done = await store.db.selectFrom('transfers').selectAll().where('status', '=', 'completed').where('fee_yen', '>', 0).orderBy('apply_no').limit(2).execute();
    assert.equal(done.length, 2);
    const [first, second] = done as [(typeof done)[number], (typeof done)[number]];
    assert.deepEqual(await verifyTransfers(store.db), []);
    await store.db.updateTable('transfers').set({ transfer_amount_yen: first.transfer_amount_yen + 1 }).where('apply_no', '=', first.apply_no).execute();
    await store.db.updateTable('transfers').set({ fee_entry_id: first.fee_entry_id }).where('apply_no', '=', second.apply_no).execute();
    const found = await verifyTransfers(store.db);
    await store.db.updateTable('transfers').set({ transfer_amount_yen: first.transfer_amount_yen }).where('apply_no', '=', first.apply_no).execute();
    await store.db.updateTable('transfers').set({ fee_entry_id: second.fee_entry_id }).where('apply_no', '=', second.apply_no).execute();
    assert.ok(found.some((v) => v.applyNo === first.apply_no && v.detail.startsWith('debit_entry_id')), JSON.stringify(found));
    assert.ok(found.some((v) => v.detail.includes('serves more than one transfer')), JSON.stringify(found));
    assert.deepEqual(await verifyTransfers(store.db), []);
  });
});

describe('planning: calendar, cut-off, モアタイム, rules', () => {
  const plan = (overrides: Partial<TransferInstruction>, now: Date) => planTransfer(store.db, policy, { ...access, customerId: suzuki.customerId, accountIds: ['201012345678'] }, instruction({ accountId: '201012345678', ...overrides }), now);

  test('after the 15:30 cut-off a bank outside モアタイム is credited the next business day; a participant at once', async () => {
    const friday = jstInstant('2026-11-20', 16, 0);
    assert.equal((await plan({ beneficiaryBankCode: '1999', designatedDate: '2026-11-20' }, friday)).executionDate, '2026-11-24');
    const moreTime = await plan({ beneficiaryBankCode: '0005', designatedDate: '2026-11-20' }, friday);
    assert.equal(moreTime.executionDate, '2026-11-20');
    assert.equal(moreTime.sameDayCreditExpected, true);
    assert.equal((await plan({ beneficiaryBankCode: '1999', designatedDate: '2026-11-20' }, jstInstant('2026-11-20', 15, 29))).executionDate, '2026-11-20');
  });

  test('requested before the cut-off, approved after it: a bank outside モアタイム waits for the next business day', async () => {
    const suzukiAccess = { customerId: suzuki.customerId, clientId: CLIENT, accountIds: ['201012345678'] };
    const { applyNo } = await requestTransfer(store.db, policy, suzukiAccess, instruction({ accountId: '201012345678', beneficiaryBankCode: '1999', designatedDate: '2026-11-20' }), jstInstant('2026-11-20', 15, 25));
    assert.equal((await state(applyNo)).execution_date, '2026-11-20');
    const outcome = await approveTransfer(store.db, { applyNo, clientId: CLIENT, customerId: suzuki.customerId }, jstInstant('2026-11-20', 15, 31));
    assert.equal(outcome, 'reserved');
    assert.equal((await state(applyNo)).execution_date, '2026-11-24');
    await cancelTransfer(store.db, { applyNo, clientId: CLIENT, customerId: suzuki.customerId, accountId: '201012345678' }, clock);
  });

  test('the daily limit holds at approval too, where concurrent requests cannot race it', async () => {
    const suzukiAccess = { customerId: suzuki.customerId, clientId: CLIENT, accountIds: ['201012345678'] };
    const suzukiParty = (applyNo: string) => ({ applyNo, clientId: CLIENT, customerId: suzuki.customerId });
    const tight = { ...policy, dailyLimitYen: 10_000 };
    const ownBranch = { accountId: '201012345678', beneficiaryBankCode: '0999', beneficiaryBranchCode: '201', beneficiaryAccountType: '1' as const, beneficiaryAccountNumber: '2345679', beneficiaryName: 'ｽｽﾞｷ ﾊﾅｺ', amountYen: 6000 };
    // Both requested under the normal limit (as two racing requests would pass it), approved under the tight one.
    const first = await requestTransfer(store.db, policy, suzukiAccess, instruction({ ...ownBranch, designatedDate: jstDate(clock) }), clock);
    const second = await requestTransfer(store.db, policy, suzukiAccess, instruction({ ...ownBranch, designatedDate: jstDate(clock) }), clock);
    const outcomes = await Promise.all([approveTransfer(store.db, suzukiParty(first.applyNo), later(1000), tight), approveTransfer(store.db, suzukiParty(second.applyNo), clock, tight)]);
    assert.deepEqual(outcomes.sort(), ['completed', 'failed']);
    const failed = (await state(first.applyNo)).status === 'failed' ? first.applyNo : second.applyNo;
    assert.match((await state(failed)).failure_reason ?? '', /daily transfer limit/);
  });

  test('a holiday date: next (1), previous (2) or refused (3) for other banks; this bank runs on the day', async () => {
    const now = jstInstant('2026-11-19', 10, 0);
    assert.equal((await plan({ designatedDate: '2026-11-23', holidayCode: '1' }, now)).executionDate, '2026-11-24');
    assert.equal((await plan({ designatedDate: '2026-11-23', holidayCode: '2' }, now)).executionDate, '2026-11-20');
    await assert.rejects(plan({ designatedDate: '2026-11-23', holidayCode: '3' }, now), TransferInputError);
    const own = await plan({ designatedDate: '2026-11-23', beneficiaryBankCode: '0999', beneficiaryBranchCode: '100', beneficiaryAccountNumber: '1234567', beneficiaryName: 'ﾀﾅｶ ﾀﾛｳ' }, now);
    assert.equal(own.executionDate, '2026-11-23');
    assert.equal(own.destination, 'otherBranch');
    assert.equal(own.feeYen, 110);
  });

  test('refusals list every problem with its path', async () => {
    const now = jstInstant('2026-11-19', 10, 0);
    await assert.rejects(
      plan({ designatedDate: '2026-11-18', beneficiaryName: 'ﾔﾏﾀﾞ花子', amountYen: 1_000_000_000 }, now),
      (e: TransferInputError) =>
        ['/transferDesignatedDate', '/transfers/0/beneficiaryName', '/transfers/0/transferAmount'].every((path) => e.problems.some((p) => p.path === path)),
    );
    await assert.rejects(plan({ designatedDate: '2027-01-19' }, now), /more than 30 days/);
    await assert.rejects(plan({ beneficiaryBankCode: '0999', beneficiaryBranchCode: '201', beneficiaryAccountNumber: '7777777' }, now), /no such account/);
    await assert.rejects(plan({ beneficiaryBankCode: '0999', beneficiaryAccountType: '2', beneficiaryBranchCode: '201', beneficiaryAccountNumber: '2345678' }, now), /預金種目/);
  });
});
