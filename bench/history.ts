// Scenario 4 — transaction history: paging through an account with 1,000,000 postings on PostgreSQL;
// p50/p95 per page for the first, a middle and the last page through the bank API. Baseline: the same
// page query in raw SQL (pg). The postings are bulk-loaded as balanced entries in one transaction
// and the ledger invariants are checked on the loaded data before anything is measured.
import pg from 'pg';
import { sql } from 'kysely';
import { addDays, jstDate } from '../src/bank/jst.ts';
import { verifyLedger } from '../src/bank/ledger.ts';
import { DEMO_CUSTOMERS } from '../src/bank/demo-data.ts';
import type { Db } from '../src/store/db.ts';
import { startTestBank } from '../test/support/bank.ts';
import { createScratchDatabase } from '../test/support/postgres.ts';
import { TestTpp } from '../test/support/tpp.ts';
import { inWorker, sequential, type HttpLoad, type LoadResult } from './measure.ts';
import { fmt, met, type BenchContext, type ScenarioResult } from './report.ts';

const PAGE_SIZE = 500;
const TARGET_P95_MS = 20;
const BENCH_ACCOUNT_ID = '999019999999';
const BENCH_INTERNAL_ACCOUNT_ID = 'GL-BENCH-CLEARING';
/** Days the loaded history spans, ending yesterday (inside the API's 400-day window). */
const HISTORY_DAYS = 360;

/**
 * The page queries as the product runs them (src/bank/accounts.ts transactionPage), in raw SQL: the
 * first page from dateFrom; the next ones keyset on (transaction_date, posting_id) from the item key's
 * own posting.
 */
const PAGE_SELECT = `SELECT posting_id, transaction_date, value_date, amount_yen, remarks, balance_after_yen
  FROM postings
  WHERE account_id = $1 AND transaction_date >= $2 AND transaction_date <= $3`;
const PAGE_ORDER = `ORDER BY transaction_date, posting_id LIMIT ${PAGE_SIZE + 1}`;
export const FIRST_PAGE_SQL = `${PAGE_SELECT} ${PAGE_ORDER}`;
export const NEXT_PAGE_SQL = `${PAGE_SELECT}
    AND posting_id > $4
    AND (transaction_date, posting_id) > (coalesce((SELECT k.transaction_date FROM postings k WHERE k.posting_id = $4 AND k.account_id = $1), $2::date), $4::bigint)
  ${PAGE_ORDER}`;

/**
 * `count` entries, each moving money between the bench account and the bench's own internal account
 * (odd: 1,000 yen in, even: 600 yen out), evenly spread over HISTORY_DAYS; ids taken from the
 * sequences, running balances in closed form; one transaction.
 */
async function bulkLoad(db: Db, customerId: string, count: number, now: Date): Promise<void> {
  const start = new Date(Date.parse(`${addDays(jstDate(now), -HISTORY_DAYS)}T00:00:00+09:00`));
  const stepMs = (HISTORY_DAYS * 24 * 3600 * 1000) / count;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values([
        {
          account_id: BENCH_ACCOUNT_ID, kind: 'customer', customer_id: customerId, branch_code: '999', branch_name: 'ベンチ支店', account_type_code: '01', account_type_name: '普通預金',
          account_number: '9999999', account_name: 'ベンチ', account_name_kana: 'ﾍﾞﾝﾁ', primary_account_code: '2', currency_code: 'JPY', balance_yen: 0, opened_at: start,
        },
        { account_id: BENCH_INTERNAL_ACCOUNT_ID, kind: 'internal', customer_id: null, account_name: 'ベンチ決済勘定', currency_code: 'JPY', balance_yen: 0, opened_at: start },
      ])
      .execute();
    const base = async (table: string, column: string, reserve: number) => {
      const { rows } = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence(${table}, ${column})) AS id`.execute(trx);
      const first = Number(rows[0]!.id);
      await sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}), ${first + reserve - 1})`.execute(trx);
      return first;
    };
    const entryBase = await base('journal_entries', 'entry_id', count);
    const postingBase = await base('postings', 'posting_id', 2 * count);
    await sql`
      INSERT INTO journal_entries (entry_id, booked_at, value_date, description)
      SELECT ${entryBase}::bigint + i - 1, b.booked_at, ((b.booked_at AT TIME ZONE 'UTC') + interval '9 hours')::date, 'bench'
      FROM generate_series(1, ${count}::int) i
      CROSS JOIN LATERAL (SELECT ${start.toISOString()}::timestamptz + (i - 1) * ${stepMs}::double precision * interval '1 millisecond' AS booked_at) b`.execute(trx);
    await sql`
      INSERT INTO postings (posting_id, entry_id, account_id, amount_yen, balance_after_yen, booked_at, transaction_date, value_date, remarks)
      SELECT ${postingBase}::bigint + 2 * (i - 1) + side, e.entry_id, CASE side WHEN 0 THEN ${BENCH_ACCOUNT_ID} ELSE ${BENCH_INTERNAL_ACCOUNT_ID} END,
             (CASE WHEN i % 2 = 1 THEN 1000 ELSE -600 END) * (1 - 2 * side),
             ((i / 2) * 400 + (i % 2) * 1000) * (1 - 2 * side),
             e.booked_at, e.value_date, e.value_date, CASE WHEN i % 2 = 1 THEN 'フリコミ ベンチ' ELSE 'ATM' END
      FROM generate_series(1, ${count}::int) i
      JOIN journal_entries e ON e.entry_id = ${entryBase}::bigint + i - 1
      CROSS JOIN (VALUES (0), (1)) s(side)
      ORDER BY i, side`.execute(trx);
    const finalYen = Math.floor(count / 2) * 400 + (count % 2) * 1000;
    await trx.updateTable('accounts').set({ balance_yen: finalYen }).where('account_id', '=', BENCH_ACCOUNT_ID).execute();
    await trx.updateTable('accounts').set({ balance_yen: -finalYen }).where('account_id', '=', BENCH_INTERNAL_ACCOUNT_ID).execute();
  });
  await sql`ANALYZE postings`.execute(db);
  await sql`ANALYZE journal_entries`.execute(db);
}

/** The posting id after which the page starting at line `offset` (0-based) begins. */
async function itemKeyBefore(db: Db, offset: number): Promise<string | undefined> {
  if (offset === 0) return undefined;
  const { rows } = await sql<{ posting_id: number }>`
    SELECT posting_id FROM postings WHERE account_id = ${BENCH_ACCOUNT_ID} ORDER BY transaction_date, posting_id OFFSET ${offset - 1} LIMIT 1`.execute(db);
  return String(rows[0]!.posting_id);
}

interface PageTimes {
  page: string;
  api: LoadResult;
  sql: LoadResult;
}

export async function historyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const postings = ctx.quick ? 100_000 : 1_000_000;
  const reps = ctx.quick ? 10 : 200;
  const database = await createScratchDatabase();
  const raw = new pg.Client({ connectionString: database.url });
  try {
    const bank = await startTestBank({ DATABASE_URL: database.url });
    try {
      const demo = DEMO_CUSTOMERS[0]!;
      const now = new Date();
      let t0 = performance.now();
      await bulkLoad(bank.store.db, demo.customerId, postings, now);
      const loadS = (performance.now() - t0) / 1000;
      ctx.log(`  loaded ${postings.toLocaleString('en-US')} postings (and their other sides) in ${loadS.toFixed(1)} s; checking the ledger`);
      t0 = performance.now();
      const violations = await verifyLedger(bank.store.db);
      const verifyS = (performance.now() - t0) / 1000;
      if (violations.length > 0) throw new Error(`the loaded ledger breaks its invariants: ${JSON.stringify(violations.slice(0, 3))}`);

      const registered = await bank.registerTpp('private_key_jwt');
      const tpp = await TestTpp.create(bank, registered);
      await raw.connect();
      try {
        const accounts = await bank.store.db.selectFrom('accounts').select('account_id').where('customer_id', '=', demo.customerId).execute();
        // The bench account sorts last on the consent page (primary '2', highest id).
        const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: demo.loginId, password: demo.password, accountIndexes: [accounts.length - 1] });
        const today = jstDate(new Date());
        const dateFrom = addDays(today, -HISTORY_DAYS - 1);
        const pages: PageTimes[] = [];
        const plans: Record<string, string[]> = {};
        const lastOffset = Math.floor((postings - 1) / PAGE_SIZE) * PAGE_SIZE;
        for (const [page, offset] of [['first', 0], ['middle', Math.floor(postings / 2 / PAGE_SIZE) * PAGE_SIZE], ['last', lastOffset]] as const) {
          const key = await itemKeyBefore(bank.store.db, offset);
          const path = `/accounts/transactions?accountId=${BENCH_ACCOUNT_ID}&dateFrom=${dateFrom}&dateTo=${today}${key ? `&nextItemKey=${key}` : ''}`;
          const check = await tpp.api(path, tokens.accessToken);
          if (check.status !== 200 || check.body.transactions.length !== Math.min(PAGE_SIZE, postings - offset) || check.body.hasNext !== (page !== 'last')) {
            throw new Error(`${page} page: HTTP ${check.status}, ${check.body?.transactions?.length} lines, hasNext ${check.body?.hasNext}`);
          }
          // One request at a time from the worker thread (the client's reading is not the bank's time).
          const api = await inWorker<LoadResult>(
            new URL('./measure.ts', import.meta.url),
            'httpLoad',
            {
              origin: bank.config.mtls.publicUrl,
              method: 'GET',
              path: `/api/v1${path}`,
              headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
              expectStatus: 200,
              tls: { ca: bank.pki.caCertificatePem, cert: registered.certificatePem, key: registered.privateKeyPem },
              concurrency: 1,
              durationMs: 30_000,
              // Warm: the first requests of a page shape compile its serializer and query paths.
              warmupMs: ctx.quick ? 300 : 2_000,
              maxCount: reps,
            } satisfies HttpLoad,
            60_000,
          );
          const [text, params] = key === undefined ? [FIRST_PAGE_SQL, [BENCH_ACCOUNT_ID, dateFrom, today]] : [NEXT_PAGE_SQL, [BENCH_ACCOUNT_ID, dateFrom, today, Number(key)]];
          const sqlTimes = await sequential(() => raw.query(text, params), reps, 30_000, ctx.quick ? 300 : 2_000);
          const plan = await raw.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
          plans[page] = plan.rows.map((r: Record<string, unknown>) => String(r['QUERY PLAN']));
          pages.push({ page, api, sql: sqlTimes });
          ctx.log(`  ${page} page: API p95 ${api.p95Ms.toFixed(1)} ms, SQL p95 ${sqlTimes.p95Ms.toFixed(1)} ms`);
        }
        return historyResult(pages, postings, { loadS, verifyS, plans });
      } finally {
        await tpp.close();
      }
    } finally {
      await bank.stop();
    }
  } finally {
    await raw.end().catch(() => undefined);
    await database.drop();
  }
}

function historyResult(pages: PageTimes[], postings: number, extra: Record<string, unknown>): ScenarioResult {
  const scenario = `4. History paging (${(postings / 1e6).toLocaleString('en-US')}M postings, PostgreSQL, ${PAGE_SIZE}/page)`;
  return {
    id: 'history',
    title: scenario,
    rows: pages.map(({ page, api, sql }) => ({
      scenario,
      metric: `${page} page p50 / p95 (ms)`,
      ginko: `${fmt(api.p50Ms)} / ${fmt(api.p95Ms)}`,
      baseline: `${fmt(sql.p50Ms)} / ${fmt(sql.p95Ms)}`,
      ratio: '',
      target: `p95 < ${TARGET_P95_MS} ms`,
      status: met(api.p95Ms < TARGET_P95_MS),
    })),
    charts: [
      {
        title: '4. History page p95',
        unit: 'ms',
        bars: pages.flatMap(({ page, api, sql }) => [
          { label: `API ${page} page`, value: api.p95Ms, kind: 'ginko' as const },
          { label: `raw SQL ${page} page`, value: sql.p95Ms, kind: 'baseline' as const },
        ]),
        limit: { value: TARGET_P95_MS, label: `${TARGET_P95_MS} ms` },
      },
    ],
    data: { postings, pageSize: PAGE_SIZE, pages, ...extra },
    notes: [`bulk load ${fmt(extra.loadS as number)} s, ledger check ${fmt(extra.verifyS as number)} s (no violations)`],
  };
}
