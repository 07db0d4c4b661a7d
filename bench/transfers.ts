// Scenario 5 — transfers on PostgreSQL: concurrent executions (the customer's approval, which runs
// the transfer: locks, balanced journal entry, transfer state) per second and p99, with the ledger
// invariants checked after the run. Transfers are requested first (also timed, reported apart), each
// between one of 24 account pairs of a demo customer (same bank, no fee), so executions contend for
// rows only as often as real ones from many accounts would. Baseline: the same money movements as bare ledger entries (postJournalEntry).
import { DEMO_CUSTOMERS, seedDemoBank } from '../src/bank/demo-data.ts';
import { INTERNAL_ACCOUNTS } from '../src/bank/internal-accounts.ts';
import { jstDate } from '../src/bank/jst.ts';
import { postJournalEntry, verifyLedger } from '../src/bank/ledger.ts';
import { approveTransfer } from '../src/bank/transfers/authorise.ts';
import type { TransferInstruction } from '../src/bank/transfers/model.ts';
import { DEFAULT_TRANSFER_POLICY } from '../src/bank/transfers/policy.ts';
import { requestTransfer } from '../src/bank/transfers/request.ts';
import type { ZenginAccountType } from '../src/bank/zengin.ts';
import { openStore, type Db } from '../src/store/db.ts';
import { createScratchDatabase } from '../test/support/postgres.ts';
import { closedLoop, type LoadResult } from './measure.ts';
import { fmt, met, ratioOf, type BenchContext, type ScenarioResult } from './report.ts';

const TARGET_PER_SECOND = 1_000;
const IN_FLIGHT = 12;
const POOL_SIZE = 20;
const policy = DEFAULT_TRANSFER_POLICY;

/** Account pairs of one demo customer (tanaka): from a funded 普通 account to a 貯蓄 one, both made for the run. */
const PAIRS = Array.from({ length: 24 }, (_, i) => {
  const number = String(9_000_000 + i);
  return { from: `10001${number}`, to: { accountId: `10004${number}`, branch: '100', type: '4', number } };
});
const FUNDING_YEN = 1_000_000;
function instruction(pair: (typeof PAIRS)[number], today: string): TransferInstruction {
  return {
    accountId: pair.from,
    designatedDate: today,
    holidayCode: '1',
    amountYen: 1,
    beneficiaryBankCode: policy.ownBankCode,
    beneficiaryBranchCode: pair.to.branch,
    beneficiaryAccountType: pair.to.type as ZenginAccountType,
    beneficiaryAccountNumber: pair.to.number,
    beneficiaryName: DEMO_CUSTOMERS[0]!.nameKana,
  };
}

/** The pairs' accounts, each `from` funded by a balanced entry from the bank's carried-forward account. */
async function openPairs(db: Db, customerId: string, kana: string): Promise<void> {
  const openedAt = new Date();
  const account = (accountId: string, typeCode: '01' | '04') => ({
    account_id: accountId, kind: 'customer' as const, customer_id: customerId, branch_code: '100', branch_name: '本店営業部', account_type_code: typeCode,
    account_type_name: typeCode === '01' ? '普通預金' : '貯蓄預金', account_number: accountId.slice(5), account_name: 'ベンチ', account_name_kana: kana,
    primary_account_code: '2', currency_code: 'JPY', balance_yen: 0, opened_at: openedAt,
  });
  await db.insertInto('accounts').values(PAIRS.flatMap((p) => [account(p.from, '01'), account(p.to.accountId, '04')])).execute();
  for (const pair of PAIRS) {
    await postJournalEntry(db, {
      bookedAt: openedAt,
      valueDate: jstDate(openedAt),
      description: 'bench funding',
      postings: [
        { accountId: INTERNAL_ACCOUNTS.balanceCarriedForward.accountId, amountYen: -FUNDING_YEN, remarks: 'ベンチ' },
        { accountId: pair.from, amountYen: FUNDING_YEN, remarks: 'ベンチ' },
      ],
    });
  }
}

export async function transfersScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const count = ctx.quick ? 300 : 3_000;
  const database = await createScratchDatabase();
  const store = await openStore({ databaseUrl: database.url, poolSize: POOL_SIZE });
  try {
    await seedDemoBank(store.db);
    await store.db.insertInto('tpps').values({ client_id: 'bench', name: 'bench', registration_number: null, status: 'active', metadata: '{}' }).execute();
    const today = jstDate(new Date());
    const customer = DEMO_CUSTOMERS[0]!;
    await openPairs(store.db, customer.customerId, customer.nameKana);
    const pairOf = (i: number) => PAIRS[i % PAIRS.length]!;
    const accessOf = (i: number) => ({ customerId: customer.customerId, clientId: 'bench', accountIds: [pairOf(i).from] });

    const transfers: { applyNo: string; customerId: string }[] = [];
    const requested = await closedLoop(
      async (i) => {
        const { applyNo } = await requestTransfer(store.db, policy, accessOf(i), instruction(pairOf(i), today), new Date());
        transfers.push({ applyNo, customerId: accessOf(i).customerId });
      },
      { concurrency: IN_FLIGHT, durationMs: 120_000, maxCount: count },
    );
    if (requested.errors > 0) throw new Error(`requesting transfers failed ${requested.errors} times: ${requested.firstError}`);
    ctx.log(`  ${transfers.length} transfers requested; approving (executing) ${IN_FLIGHT} at a time`);

    const outcomes = new Map<string, number>();
    const executed = await closedLoop(
      async (i) => {
        const { applyNo, customerId } = transfers[i]!;
        const outcome = await approveTransfer(store.db, { applyNo, clientId: 'bench', customerId }, new Date());
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome !== 'completed') throw new Error(`transfer ${applyNo} ended ${outcome}`);
      },
      { concurrency: IN_FLIGHT, durationMs: 120_000, maxCount: transfers.length },
    );

    ctx.log(`  baseline: the same movements as bare journal entries`);
    const baseline = await closedLoop(
      async (i) => {
        const pair = pairOf(i);
        await postJournalEntry(store.db, {
          bookedAt: new Date(),
          valueDate: today,
          description: 'bench',
          postings: [
            { accountId: pair.from, amountYen: -1, remarks: 'ベンチ' },
            { accountId: pair.to.accountId, amountYen: 1, remarks: 'ベンチ' },
          ],
        });
      },
      { concurrency: IN_FLIGHT, durationMs: 120_000, maxCount: count },
    );

    const t0 = performance.now();
    const violations = await verifyLedger(store.db);
    const verifyS = (performance.now() - t0) / 1000;
    if (violations.length > 0) throw new Error(`the ledger breaks its invariants after the run: ${JSON.stringify(violations.slice(0, 3))}`);
    return transfersResult(requested, executed, baseline, Object.fromEntries(outcomes), verifyS);
  } finally {
    await store.close();
    await database.drop();
  }
}

function transfersResult(requested: LoadResult, executed: LoadResult, baseline: LoadResult, outcomes: Record<string, number>, verifyS: number): ScenarioResult {
  const scenario = `5. Transfers (PostgreSQL, ${IN_FLIGHT} in flight, ${PAIRS.length} account pairs)`;
  return {
    id: 'transfers',
    title: scenario,
    rows: [
      {
        scenario,
        metric: 'executed/s (approval → ledger)',
        ginko: fmt(executed.perSecond, 0),
        baseline: fmt(baseline.perSecond, 0),
        ratio: fmt(ratioOf(executed.perSecond, baseline.perSecond), 2),
        target: `≥ ${TARGET_PER_SECOND.toLocaleString('en-US')}/s, ledger invariant intact`,
        status: met(executed.perSecond >= TARGET_PER_SECOND && executed.errors === 0),
      },
      { scenario, metric: 'execution p50 / p99 (ms)', ginko: `${fmt(executed.p50Ms)} / ${fmt(executed.p99Ms)}`, baseline: `${fmt(baseline.p50Ms)} / ${fmt(baseline.p99Ms)}`, ratio: '', target: '', status: '' },
      { scenario, metric: 'requested/s (validation, plan, stored)', ginko: fmt(requested.perSecond, 0), baseline: '', ratio: '', target: '', status: '' },
      { scenario, metric: 'ledger invariants after the run', ginko: 'intact (verifyLedger: none broken)', baseline: '', ratio: '', target: 'intact', status: 'met' },
    ],
    charts: [
      {
        title: '5. Transfers executed',
        unit: 'per second',
        bars: [{ label: 'Ginko approve + execute', value: executed.perSecond, kind: 'ginko' }, { label: 'bare journal entries', value: baseline.perSecond, kind: 'baseline' }],
        limit: { value: TARGET_PER_SECOND, label: `${TARGET_PER_SECOND}/s` },
      },
    ],
    data: { requested, executed, baseline, outcomes, verifyS, inFlight: IN_FLIGHT, poolSize: POOL_SIZE },
    notes: executed.errors > 0 ? [`${executed.errors} executions did not complete: ${executed.firstError ?? ''}`] : [],
  };
}
