// The demo bank on the real embedded store: customers, accounts, a year of history that satisfies the
// ledger's invariants, deterministic, idempotent; and the history queries the API builds on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { customerAccounts, customerBalances, firstTransactionDate, parseItemKey, transactionPage, type TransactionLine } from '../src/bank/accounts.ts';
import { customerById, customerByLoginId, verifyCustomerLogin } from '../src/bank/customers.ts';
import { DEMO_CUSTOMERS, seedDemoBank, type SeedResult } from '../src/bank/demo-data.ts';
import { planDemoBank } from '../src/bank/demo-history.ts';
import { addDays, dayOfWeek, firstDayOfMonth, jstDate } from '../src/bank/jst.ts';
import { verifyLedger } from '../src/bank/ledger.ts';
import { openStore, type Store } from '../src/store/db.ts';

// 2025-06-15 12:00 JST, a Sunday.
const NOW = new Date('2025-06-15T03:00:00Z');
const TODAY = jstDate(NOW);
let store: Store;
let seeded: SeedResult;

before(async () => {
  store = await openStore({ inMemory: true });
  // How long seeding takes is the cold-start benchmark's to measure (bench/), not a test's.
  seeded = await seedDemoBank(store.db, { now: NOW });
});

after(async () => {
  await store?.close();
});

async function allPostings(accountId: string) {
  return store.db.selectFrom('postings').selectAll().where('account_id', '=', accountId).orderBy('posting_id').execute();
}

describe('seedDemoBank', () => {
  test('creates the demo customers, each with 2–3 accounts', async () => {
    assert.equal(seeded.seeded, true);
    assert.ok(DEMO_CUSTOMERS.length >= 3);
    assert.equal(seeded.customers, DEMO_CUSTOMERS.length);
    const tanaka = DEMO_CUSTOMERS.find((c) => c.loginId === 'tanaka');
    assert.equal(tanaka?.password, 'tanaka-demo-2024');
    for (const demo of DEMO_CUSTOMERS) {
      const accounts = await customerAccounts(store.db, demo.customerId);
      assert.ok(accounts.length >= 2 && accounts.length <= 3, `${demo.loginId} has ${accounts.length} accounts`);
      assert.equal(accounts[0]!.primaryAccountCode, '1');
      assert.ok(accounts.some((a) => a.accountTypeCode === '01'), 'every customer has a 普通預金 01');
      assert.ok(new Set(accounts.map((a) => a.accountTypeCode)).size >= 2, 'and another type');
      for (const account of accounts) {
        assert.match(account.accountId, /^\d{12}$/);
        assert.equal(account.accountId, `${account.branchCode}${account.accountTypeCode}${account.accountNumber}`);
        assert.match(account.accountNameKana, /^[ｦ-ﾟ ]+$/);
      }
    }
  });

  test('the demo passwords sign in; wrong ones and unknown login ids do not', async () => {
    const demo = DEMO_CUSTOMERS[0]!;
    const customer = await verifyCustomerLogin(store.db, demo.loginId, demo.password);
    assert.equal(customer?.customerId, demo.customerId);
    assert.equal(await verifyCustomerLogin(store.db, demo.loginId, `${demo.password}x`), undefined);
    assert.equal(await verifyCustomerLogin(store.db, 'nobody', demo.password), undefined);
    assert.equal(await verifyCustomerLogin(store.db, 'x'.repeat(100), demo.password), undefined);
    assert.deepEqual(await customerById(store.db, demo.customerId), customer);
    assert.deepEqual(await customerByLoginId(store.db, demo.loginId), customer);
  });

  test('about a year of history ending at now, satisfying every ledger invariant', async () => {
    assert.deepEqual(await verifyLedger(store.db), []);
    const range = await store.db
      .selectFrom('postings')
      .select((eb) => [eb.fn.min('booked_at').as('first'), eb.fn.max('booked_at').as('last')])
      .executeTakeFirstOrThrow();
    const first = jstDate(range.first as Date);
    assert.ok(first >= addDays(TODAY, -370) && first <= addDays(TODAY, -360), `history starts on ${first}`);
    assert.ok((range.last as Date) <= NOW, 'nothing after now');
    assert.ok(seeded.entries > 300, `${seeded.entries} entries`);
    const negative = await store.db.selectFrom('accounts').select('account_id').where('kind', '=', 'customer').where('balance_yen', '<', 0).execute();
    assert.deepEqual(negative, []);
    const negativeAfter = await store.db.selectFrom('postings as p').innerJoin('accounts as a', 'a.account_id', 'p.account_id').select('p.posting_id').where('a.kind', '=', 'customer').where('p.balance_after_yen', '<', 0).execute();
    assert.deepEqual(negativeAfter, [], 'no customer balance was ever negative');
  });

  test('the history looks like a Japanese bank statement', async () => {
    const tanaka = DEMO_CUSTOMERS.find((c) => c.loginId === 'tanaka')!;
    const [primary] = await customerAccounts(store.db, tanaka.customerId);
    const postings = await allPostings(primary!.accountId);
    const salaries = postings.filter((p) => p.remarks === 'ｷﾕｳﾖ ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ');
    assert.ok(salaries.length >= 11 && salaries.length <= 13, `${salaries.length} salaries`);
    for (const salary of salaries) {
      assert.ok(salary.amount_yen > 0);
      const date = salary.transaction_date;
      // The 25th, or the last business day before it when the 25th is a weekend.
      const day = Number(date.slice(8));
      assert.ok(day === 25 || (day >= 22 && day < 25 && [0, 6].includes(dayOfWeek(`${date.slice(0, 8)}25`))), `salary on ${date}`);
      assert.ok(![0, 6].includes(dayOfWeek(date)), `salary on a weekend: ${date}`);
    }
    const remarks = new Set(postings.map((p) => p.remarks));
    for (const expected of ['ﾐﾅﾄﾃﾞﾝﾘﾖｸ ﾃﾞﾝｷﾀﾞｲ', 'ﾐﾅﾄｶﾞｽ ｶﾞｽﾀﾞｲ', 'ｽｲﾄﾞｳﾘﾖｳｷﾝ', 'ﾐﾅﾄｶ-ﾄﾞ', 'ATM ﾋｷﾀﾞｼ', 'ﾌﾘｺﾐ ｶ)ｻｸﾗﾌﾄﾞｳｻﾝ', 'ﾃｽｳﾘﾖｳ', 'ﾘｿｸ']) {
      assert.ok(remarks.has(expected), `no '${expected}' in the history`);
    }
    // Zengin character set: half-width katakana without small kana, A–Z, 0–9, space and ( ) - . /
    const all = await store.db.selectFrom('postings').select('remarks').distinct().execute();
    for (const { remarks } of all) assert.match(remarks, /^[ｦｱ-ﾝﾞﾟA-Z0-9 ().\-/]+$/, remarks);
  });

  test('is idempotent and deterministic', async () => {
    const again = await seedDemoBank(store.db, { now: NOW });
    assert.equal(again.seeded, false);
    assert.equal((await store.db.selectFrom('customers').select('customer_id').execute()).length, DEMO_CUSTOMERS.length);
    const plan = planDemoBank(NOW);
    assert.deepEqual(planDemoBank(NOW), plan);
    assert.equal(plan.entries.length, seeded.entries);
    const stored = await store.db.selectFrom('postings').select(['account_id', 'amount_yen', 'balance_after_yen', 'remarks', 'booked_at']).orderBy('posting_id').execute();
    const planned = plan.entries.flatMap((entry) => entry.postings.map((p) => ({ account_id: p.accountId, amount_yen: p.amountYen, balance_after_yen: p.balanceAfterYen, remarks: p.remarks, booked_at: entry.bookedAt })));
    assert.deepEqual(stored, planned);
  });
});

describe('account queries', () => {
  const tanaka = () => DEMO_CUSTOMERS.find((c) => c.loginId === 'tanaka')!;

  test('a customer sees only their own accounts, even when asking for others', async () => {
    const others = await customerAccounts(store.db, DEMO_CUSTOMERS[1]!.customerId);
    const mine = await customerAccounts(store.db, tanaka().customerId);
    assert.deepEqual(await customerAccounts(store.db, tanaka().customerId, [others[0]!.accountId]), []);
    assert.deepEqual(await customerAccounts(store.db, tanaka().customerId, [mine[1]!.accountId, others[0]!.accountId]), [mine[1]]);
    assert.deepEqual(await customerAccounts(store.db, tanaka().customerId, []), []);
    assert.deepEqual(await customerBalances(store.db, tanaka().customerId, [others[0]!.accountId], TODAY), []);
  });

  test('balances: current, previous day end and previous month end, from the postings', async () => {
    const accounts = await customerAccounts(store.db, tanaka().customerId);
    const balances = await customerBalances(store.db, tanaka().customerId, accounts.map((a) => a.accountId), TODAY);
    assert.equal(balances.length, accounts.length);
    for (const balance of balances) {
      const postings = await allPostings(balance.accountId);
      const sumBefore = (date: string) => postings.filter((p) => p.transaction_date < date).reduce((sum, p) => sum + p.amount_yen, 0);
      assert.equal(balance.balanceYen, postings.reduce((sum, p) => sum + p.amount_yen, 0));
      assert.equal(balance.withdrawableAmountYen, balance.balanceYen);
      assert.equal(balance.previousDayBalanceYen, sumBefore(TODAY));
      assert.equal(balance.previousMonthBalanceYen, sumBefore(firstDayOfMonth(TODAY)));
    }
  });

  test('balances read at the same time (one statement) are each what that read gets alone', async () => {
    const reads: { customerId: string; accountIds: string[]; today: string }[] = [];
    const everyAccount = (await Promise.all(DEMO_CUSTOMERS.map((demo) => customerAccounts(store.db, demo.customerId)))).flat().map((a) => a.accountId);
    for (const demo of DEMO_CUSTOMERS) {
      const own = (await customerAccounts(store.db, demo.customerId)).map((a) => a.accountId);
      for (const today of [TODAY, firstDayOfMonth(TODAY), addDays(TODAY, -45)]) {
        reads.push({ customerId: demo.customerId, accountIds: own, today });
        // Reversed with a repeat, and with everyone's accounts: the order and the owner still rule.
        reads.push({ customerId: demo.customerId, accountIds: [...own].reverse().concat(own[0]!), today });
        reads.push({ customerId: demo.customerId, accountIds: everyAccount, today });
      }
    }
    const alone = [];
    for (const read of reads) alone.push(await customerBalances(store.db, read.customerId, read.accountIds, read.today));
    const together = await Promise.all(reads.map((read) => customerBalances(store.db, read.customerId, read.accountIds, read.today)));
    assert.deepEqual(together, alone);
    // Per customer and date: the same balances whatever the order, repeats or others' accounts asked.
    for (let i = 0; i < reads.length; i += 3) {
      assert.ok(alone[i]!.length >= 2);
      assert.deepEqual(alone[i + 1], alone[i]);
      assert.deepEqual(alone[i + 2], alone[i]);
    }
  });

  test('paging walks a whole year without duplicates or gaps, with a consistent running balance', async () => {
    for (const demo of DEMO_CUSTOMERS) {
      for (const account of await customerAccounts(store.db, demo.customerId)) {
        const dateFrom = addDays(TODAY, -399);
        const lines: TransactionLine[] = [];
        let afterItemKey: string | undefined;
        let pages = 0;
        do {
          const page = await transactionPage(store.db, { accountId: account.accountId, dateFrom, dateTo: TODAY, afterItemKey, pageSize: 7 });
          assert.ok(page.lines.length <= 7);
          assert.ok(page.nextItemKey === undefined || page.lines.length === 7, 'only the last page is short');
          lines.push(...page.lines);
          afterItemKey = page.nextItemKey;
          assert.ok(++pages < 1000);
        } while (afterItemKey !== undefined);
        const expected = await allPostings(account.accountId);
        assert.deepEqual(lines.map((l) => l.itemKey), expected.map((p) => String(p.posting_id)), `${account.accountId}: every posting once, in order`);
        let previous = 0;
        for (const line of lines) {
          assert.equal(line.balanceAfterYen, previous + line.amountYen, `running balance at ${line.itemKey}`);
          previous = line.balanceAfterYen;
        }
        assert.equal(previous, (await customerBalances(store.db, demo.customerId, [account.accountId], TODAY))[0]!.balanceYen);
        for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1]!.transactionDate <= lines[i]!.transactionDate);
      }
    }
  });

  test('a page is bounded by its dates, and an empty period is an empty page', async () => {
    const [account] = await customerAccounts(store.db, tanaka().customerId);
    const page = await transactionPage(store.db, { accountId: account!.accountId, dateFrom: '2025-05-01', dateTo: '2025-05-31', pageSize: 500 });
    assert.ok(page.lines.length > 5);
    assert.equal(page.nextItemKey, undefined);
    for (const line of page.lines) assert.ok(line.transactionDate >= '2025-05-01' && line.transactionDate <= '2025-05-31');
    const empty = await transactionPage(store.db, { accountId: account!.accountId, dateFrom: '2020-01-01', dateTo: '2020-12-31', pageSize: 500 });
    assert.deepEqual(empty, { lines: [], nextItemKey: undefined });
    assert.equal(await firstTransactionDate(store.db, account!.accountId), addDays(TODAY, -365));
    assert.equal(await firstTransactionDate(store.db, '000000000000'), undefined);
  });

  test('item keys are strict', () => {
    assert.equal(parseItemKey('42'), 42);
    for (const bad of ['', '0', '042', '-1', '1e3', '4.2', ' 42', '99999999999999999', '9999999999999999', 'abc']) assert.equal(parseItemKey(bad), undefined, bad);
  });
});
