// What a customer's deposit accounts show: the accounts, their balances, and their history
// (入出金明細), read from the ledger's postings.
import assert from 'node:assert/strict';
import { CompiledQuery, type InferResult, sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { GroupBatches } from '../store/group-batches.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { firstDayOfMonth } from './jst.ts';

/** The most lines one history page may hold (GMO's published limit). */
export const TRANSACTION_PAGE_SIZE_MAX = 500;

/** Only yen deposit accounts exist so far. */
const CURRENCY_NAMES: Readonly<Record<string, string>> = { JPY: '日本円' };

export function currencyNameOf(currencyCode: string): string {
  const name = CURRENCY_NAMES[currencyCode];
  assert.ok(name !== undefined, `unsupported currency ${currencyCode}`);
  return name;
}

export interface DepositAccount {
  /** 12 digits: branchCode + accountTypeCode + accountNumber. */
  accountId: string;
  branchCode: string;
  branchName: string;
  /** 2-digit 科目コード ('01' 普通預金 …). */
  accountTypeCode: string;
  accountTypeName: string;
  accountNumber: string;
  accountName: string;
  accountNameKana: string;
  /** '1' 代表口座, '2' 追加口座. */
  primaryAccountCode: '1' | '2';
  currencyCode: string;
  transferLimitAmountYen: number | undefined;
}

/** A column a customer account must have; internal accounts leave them null, customers never. */
function present<T>(value: T | null, column: string, accountId: string): T {
  assert.ok(value !== null, `customer account ${accountId} has no ${column}`);
  return value;
}

/**
 * The customer's deposit accounts, primary first. With `onlyAccountIds`, just those of them that belong
 * to the customer: an id of someone else's account is silently not there.
 */
/** How the customer's pages name an account: branch, type and number, as on a passbook. */
export function accountLabel(account: Pick<DepositAccount, 'branchName' | 'accountTypeName' | 'accountNumber'>): string {
  return `${account.branchName} ${account.accountTypeName} ${account.accountNumber}`;
}

export async function customerAccounts(db: Db, customerId: string, onlyAccountIds?: readonly string[]): Promise<DepositAccount[]> {
  if (onlyAccountIds?.length === 0) return [];
  let query = db
    .selectFrom('accounts')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'customer');
  if (onlyAccountIds) query = query.where('account_id', 'in', onlyAccountIds);
  const rows = await query.orderBy('primary_account_code').orderBy('account_id').execute();
  return rows.map((row) => {
    const id = row.account_id;
    const primary = present(row.primary_account_code, 'primary_account_code', id);
    assert.ok(primary === '1' || primary === '2', `account ${id} has primary_account_code ${primary}`);
    return {
      accountId: id,
      branchCode: present(row.branch_code, 'branch_code', id),
      branchName: present(row.branch_name, 'branch_name', id),
      accountTypeCode: present(row.account_type_code, 'account_type_code', id),
      accountTypeName: present(row.account_type_name, 'account_type_name', id),
      accountNumber: present(row.account_number, 'account_number', id),
      accountName: row.account_name,
      accountNameKana: present(row.account_name_kana, 'account_name_kana', id),
      primaryAccountCode: primary,
      currencyCode: row.currency_code,
      transferLimitAmountYen: row.transfer_limit_amount_yen ?? undefined,
    };
  });
}

export interface AccountBalance {
  accountId: string;
  accountTypeCode: string;
  accountTypeName: string;
  currencyCode: string;
  balanceYen: number;
  /** 支払可能残高: the balance less the holds of future-dated transfers. */
  withdrawableAmountYen: number;
  /** Balance at the end of the JST day before `today`. */
  previousDayBalanceYen: number;
  /** Balance at the end of the month before `today`'s month. */
  previousMonthBalanceYen: number;
}

/** One customer's balances read: what customerBalances was asked. */
interface BalancesRead {
  customerId: string;
  accountIds: readonly string[];
  today: string;
}

/** The reads of one batch, flattened to one element per (read, account) for the query's arrays. */
interface BalancesBatch {
  readNumbers: number[];
  customerIds: string[];
  accountIds: string[];
  todays: string[];
  monthStarts: string[];
}

/**
 * The balances query of a batch of reads (store/group-batches.ts), built once per Db and compiled with the
 * markers below in place of its values: it runs on every balances call, and building it with Kysely cost
 * more of the bank's CPU than anything else in the request (bench/profiles.md, scenario 1). The reads
 * travel as arrays, one element per (read, account), so one compiled text serves any batch, and
 * PostgreSQL keeps it prepared per connection (store/prepared-statements.ts): planning it anew took the
 * database four times as long as running it. Rows come in read order, then as one read's would.
 */
function balancesQuery(db: Db, p: { [K in keyof BalancesBatch]: string }) {
  const reads = sql<{ read_number: number; customer_id: string; account_id: string; today: string; month_start: string }>`unnest(${p.readNumbers}::int[], ${p.customerIds}::text[], ${p.accountIds}::text[], ${p.todays}::date[], ${p.monthStarts}::date[])`.as<'r'>(
    sql`r(read_number, customer_id, account_id, today, month_start)`,
  );
  return db
    .selectFrom(reads)
    .innerJoin('accounts as a', (join) => join.onRef('a.account_id', '=', 'r.account_id').onRef('a.customer_id', '=', 'r.customer_id').on('a.kind', '=', 'customer'))
    .select(['r.read_number', 'a.account_id', 'a.account_type_code', 'a.account_type_name', 'a.currency_code', 'a.balance_yen'])
    .select((eb) => {
      // The balance after the account's last posting dated before `date`.
      const balanceBefore = (date: 'r.today' | 'r.month_start') =>
        eb
          .selectFrom('postings as p')
          .select('p.balance_after_yen')
          .whereRef('p.account_id', '=', 'a.account_id')
          .whereRef('p.transaction_date', '<', date)
          .orderBy('p.transaction_date', 'desc')
          .orderBy('p.posting_id', 'desc')
          .limit(1);
      // Future-dated transfers (予約中) hold their amount and fee until they run.
      const heldYen = eb
        .selectFrom('transfers as t')
        .select(sql<number>`coalesce(sum(t.transfer_amount_yen + t.fee_yen), 0)::bigint`.as('held'))
        .whereRef('t.account_id', '=', 'a.account_id')
        .where('t.status', '=', 'reserved');
      return [balanceBefore('r.today').as('previous_day_balance_yen'), balanceBefore('r.month_start').as('previous_month_balance_yen'), heldYen.as('held_yen')];
    })
    .orderBy('r.read_number')
    .orderBy('a.primary_account_code')
    .orderBy('a.account_id');
}

type BalanceRow = InferResult<ReturnType<typeof balancesQuery>>[number];

/** Stand-ins for the balances query's values, replaced in its compiled parameters at each call. */
const BALANCES_PARAMETER = { readNumbers: '\u0000readNumbers', customerIds: '\u0000customerIds', accountIds: '\u0000accountIds', todays: '\u0000todays', monthStarts: '\u0000monthStarts' } as const;
/** Reads in one statement at most, and waiting at most (beyond it the store is not keeping up). */
const BALANCES_BATCH_READS_MAX = 100;
const BALANCES_PENDING_READS_MAX = 10_000;
const balancesReaders = new WeakMap<Db, GroupBatches<BalancesRead, AccountBalance[]>>();

function balancesReaderOf(db: Db): GroupBatches<BalancesRead, AccountBalance[]> {
  let reader = balancesReaders.get(db);
  if (!reader) {
    const compiled = preparedQuery(balancesQuery(db, BALANCES_PARAMETER).compile());
    reader = new GroupBatches((reads) => readBalances(db, compiled, reads), { batchMax: BALANCES_BATCH_READS_MAX, pendingMax: BALANCES_PENDING_READS_MAX, what: 'balances reads' });
    balancesReaders.set(db, reader);
  }
  return reader;
}

async function readBalances(db: Db, compiled: CompiledQuery<BalanceRow>, reads: readonly BalancesRead[]): Promise<AccountBalance[][]> {
  const batch: BalancesBatch = { readNumbers: [], customerIds: [], accountIds: [], todays: [], monthStarts: [] };
  reads.forEach((read, readNumber) => {
    const monthStart = firstDayOfMonth(read.today);
    // Each account once, as `account_id = any(...)` would match it.
    for (const accountId of new Set(read.accountIds)) {
      batch.readNumbers.push(readNumber);
      batch.customerIds.push(read.customerId);
      batch.accountIds.push(accountId);
      batch.todays.push(read.today);
      batch.monthStarts.push(monthStart);
    }
  });
  const values: Record<string, unknown> = Object.fromEntries(Object.entries(BALANCES_PARAMETER).map(([name, marker]) => [marker, batch[name as keyof BalancesBatch]]));
  const parameters = compiled.parameters.map((parameter) => (typeof parameter === 'string' && Object.hasOwn(values, parameter) ? values[parameter] : parameter));
  const { rows } = await db.executeQuery(CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<BalanceRow>);
  const balances: AccountBalance[][] = reads.map(() => []);
  for (const row of rows) {
    balances[row.read_number]!.push({
      accountId: row.account_id,
      accountTypeCode: present(row.account_type_code, 'account_type_code', row.account_id),
      accountTypeName: present(row.account_type_name, 'account_type_name', row.account_id),
      currencyCode: row.currency_code,
      balanceYen: row.balance_yen,
      withdrawableAmountYen: row.balance_yen - Number(row.held_yen ?? 0),
      previousDayBalanceYen: row.previous_day_balance_yen ?? 0,
      previousMonthBalanceYen: row.previous_month_balance_yen ?? 0,
    });
  }
  return balances;
}

/**
 * Balances of the given accounts of the customer, as of JST date `today`. Past balances are the
 * balance after the account's last posting dated before the cut-off (0 before its first posting).
 * Reads made at the same time share one statement (store/group-batches.ts), so `db` is never a transaction.
 */
export async function customerBalances(db: Db, customerId: string, accountIds: readonly string[], today: string): Promise<AccountBalance[]> {
  assert.ok(!db.isTransaction, 'balances are read outside transactions: concurrent reads share a statement');
  if (accountIds.length === 0) return [];
  return balancesReaderOf(db).submit({ customerId, accountIds, today });
}

/** The JST date of the account's first posting, or undefined when it has none. */
export async function firstTransactionDate(db: Db, accountId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('postings')
    .select('transaction_date')
    .where('account_id', '=', accountId)
    .orderBy('transaction_date')
    .limit(1)
    .executeTakeFirst();
  return row?.transaction_date;
}

// A page boundary is the posting id of the last line served, as a decimal string: stable across
// new postings (ids only grow) and meaningless outside this account's history, so it leaks nothing.
/** Item key syntax, unanchored (for request schemas); 16 digits at most, and parseItemKey checks the value. */
export const ITEM_KEY_FORMAT = '[1-9][0-9]{0,15}';
const ITEM_KEY_REGEX = new RegExp(`^${ITEM_KEY_FORMAT}$`);

/** The posting id an item key names, or undefined when the text is not an item key. */
export function parseItemKey(text: string): number | undefined {
  if (!ITEM_KEY_REGEX.test(text)) return undefined;
  const postingId = Number(text);
  return Number.isSafeInteger(postingId) ? postingId : undefined;
}

export interface TransactionLine {
  /** Stable unique key of the line (明細キー); also what a page boundary is made of. */
  itemKey: string;
  transactionDate: string;
  valueDate: string;
  /** Signed: positive 入金, negative 出金. */
  amountYen: number;
  remarks: string;
  /** 取引後残高. */
  balanceAfterYen: number;
}

export interface TransactionPageQuery {
  accountId: string;
  /** Inclusive JST dates, 'YYYY-MM-DD'. */
  dateFrom: string;
  dateTo: string;
  /** Continue after this item key (the previous page's nextItemKey). */
  afterItemKey?: string | undefined;
  pageSize: number;
}

export interface TransactionPage {
  lines: TransactionLine[];
  /** Where the next page starts; undefined when this page is the last. */
  nextItemKey: string | undefined;
}

/** One page of the account's history in posting order (which is also date order: the ledger asserts it). */
export async function transactionPage(db: Db, query: TransactionPageQuery): Promise<TransactionPage> {
  assert.ok(Number.isSafeInteger(query.pageSize) && query.pageSize >= 1 && query.pageSize <= TRANSACTION_PAGE_SIZE_MAX, 'page size out of range');
  assert.ok(query.dateFrom <= query.dateTo, 'dateFrom after dateTo');
  let select = db
    .selectFrom('postings')
    .select(['posting_id', 'transaction_date', 'value_date', 'amount_yen', 'remarks', 'balance_after_yen'])
    .where('account_id', '=', query.accountId)
    .where('transaction_date', '>=', query.dateFrom)
    .where('transaction_date', '<=', query.dateTo);
  if (query.afterItemKey !== undefined) {
    const afterPostingId = parseItemKey(query.afterItemKey);
    assert.ok(afterPostingId !== undefined, `not an item key: ${query.afterItemKey}`);
    // Keyset on the index (account_id, transaction_date, posting_id), starting right after the key's
    // own posting: with `posting_id > key` alone PostgreSQL walked every earlier line of the period
    // (a middle page of a 1M-posting account took ~90 ms; bench scenario 4). For a key that is not
    // this account's, the start is dateFrom, and the lines are exactly those of `posting_id > key`.
    const keyDate = db.selectFrom('postings as k').select('k.transaction_date').where('k.posting_id', '=', afterPostingId).where('k.account_id', '=', query.accountId);
    select = select
      .where('posting_id', '>', afterPostingId)
      .where(sql<boolean>`(transaction_date, posting_id) > (coalesce((${keyDate}), ${query.dateFrom}::date), ${afterPostingId}::bigint)`);
  }
  // One row beyond the page tells whether another page exists. (date, id) order is posting order and
  // follows the index; posting_id alone then splits pages exactly.
  const rows = await select.orderBy('transaction_date').orderBy('posting_id').limit(query.pageSize + 1).execute();
  const lines = rows.slice(0, query.pageSize).map((row) => ({
    itemKey: String(row.posting_id),
    transactionDate: row.transaction_date,
    valueDate: row.value_date,
    amountYen: row.amount_yen,
    remarks: row.remarks,
    balanceAfterYen: row.balance_after_yen,
  }));
  return { lines, nextItemKey: rows.length > query.pageSize ? lines.at(-1)!.itemKey : undefined };
}
