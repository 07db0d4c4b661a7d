// 参照系 APIs with GMO Aozora's paths and field names: 口座一覧照会, 残高照会, 入出金明細照会.
// Amounts are strings of integer yen; dates 'YYYY-MM-DD' and times 'HH:MM:SS+09:00' in JST. Every route
// sees only the accounts of the guard's consent that belong to the token's customer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { currencyNameOf, customerAccounts, customerBalances, type DepositAccount, firstTransactionDate, ITEM_KEY_FORMAT, parseItemKey, transactionPage } from '../bank/accounts.ts';
import { addDays, jstDate, jstTime, parseDate } from '../bank/jst.ts';
import type { Db } from '../store/db.ts';
import { accountNotAccessible, validationError } from './errors.ts';
import { type BankAccess, bankAccessOf } from './guard.ts';

/**
 * How far back the history goes: the last 400 days, today included. A period reaching further back is
 * served from the first day inside the window, and the response's dateFrom says so.
 */
export const TRANSACTION_HISTORY_DAYS = 400;

export interface AccountRoutesOptions {
  db: Db;
  /** Lines per history page, 1–500. */
  pageSize: number;
  clock: () => Date;
}

// GMO treats an empty parameter like a missing one, so each pattern admits ''.
const optional = (format: string) => Type.Optional(Type.String({ pattern: `^(${format})?$`, maxLength: 32 }));
const ACCOUNT_ID_FORMAT = '[0-9]{12}';
const DATE_FORMAT = '[0-9]{4}-[0-9]{2}-[0-9]{2}';

const AmountYen = Type.String({ pattern: '^-?[0-9]+$' });

const Account = Type.Object({
  accountId: Type.String(),
  branchCode: Type.String(),
  branchName: Type.String(),
  accountTypeCode: Type.String(),
  accountTypeName: Type.String(),
  accountNumber: Type.String(),
  primaryAccountCode: Type.Union([Type.Literal('1'), Type.Literal('2')]),
  primaryAccountCodeName: Type.String(),
  accountName: Type.String(),
  accountNameKana: Type.String(),
  currencyCode: Type.String(),
  currencyName: Type.String(),
  transferLimitAmount: Type.Optional(AmountYen),
});

const AccountsResponse = Type.Object({
  baseDate: Type.String(),
  baseTime: Type.String(),
  accounts: Type.Array(Account),
});

const Balance = Type.Object({
  accountId: Type.String(),
  accountTypeCode: Type.String(),
  accountTypeName: Type.String(),
  balance: AmountYen,
  withdrawableAmount: AmountYen,
  previousDayBalance: AmountYen,
  previousMonthBalance: AmountYen,
  baseDate: Type.String(),
  baseTime: Type.String(),
  currencyCode: Type.String(),
  currencyName: Type.String(),
});

const BalancesResponse = Type.Object({ balances: Type.Array(Balance) });

const Transaction = Type.Object({
  transactionDate: Type.String(),
  valueDate: Type.String(),
  /** '1' 入金, '2' 出金. */
  transactionType: Type.Union([Type.Literal('1'), Type.Literal('2')]),
  amount: AmountYen,
  remarks: Type.String(),
  balance: AmountYen,
  itemKey: Type.String(),
});

const TransactionsResponse = Type.Object({
  accountId: Type.String(),
  currencyCode: Type.String(),
  currencyName: Type.String(),
  dateFrom: Type.String(),
  dateTo: Type.String(),
  baseDate: Type.String(),
  baseTime: Type.String(),
  hasNext: Type.Boolean(),
  nextItemKey: Type.Optional(Type.String()),
  count: Type.String(),
  transactions: Type.Array(Transaction),
});

const PRIMARY_ACCOUNT_CODE_NAMES = { '1': '代表口座', '2': '追加口座' } as const;

/** A date query parameter: absent or '' is undefined; anything but a real calendar date is refused. */
function queryDate(text: string | undefined, name: string): string | undefined {
  if (text === undefined || text === '') return undefined;
  const date = parseDate(text);
  if (date === undefined) {
    throw validationError('日付が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: `${name} is not a calendar date (YYYY-MM-DD)`, path: `/querystring/${name}` }]);
  }
  return date;
}

export const accountRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { db, pageSize, clock }) => {
  /** The account, when it is in the consent and the customer's own; one refusal for every other case. */
  async function consentedAccount(access: BankAccess, accountId: string): Promise<DepositAccount> {
    const [account] = access.accountIds.includes(accountId) ? await customerAccounts(db, access.customerId, [accountId]) : [];
    if (!account) throw accountNotAccessible();
    return account;
  }

  app.get(
    '/accounts',
    {
      schema: {
        operationId: 'listAccounts',
        tags: ['accounts'],
        summary: '口座一覧照会 — the accounts in the consent',
        description: 'The customer’s accounts that the consent shares with this TPP, primary account first.',
        response: { 200: AccountsResponse },
      },
    },
    async (request) => {
      const access = bankAccessOf(request);
      const now = clock();
      const accounts = await customerAccounts(db, access.customerId, access.accountIds);
      return {
        baseDate: jstDate(now),
        baseTime: jstTime(now),
        accounts: accounts.map((account) => ({
          accountId: account.accountId,
          branchCode: account.branchCode,
          branchName: account.branchName,
          accountTypeCode: account.accountTypeCode,
          accountTypeName: account.accountTypeName,
          accountNumber: account.accountNumber,
          primaryAccountCode: account.primaryAccountCode,
          primaryAccountCodeName: PRIMARY_ACCOUNT_CODE_NAMES[account.primaryAccountCode],
          accountName: account.accountName,
          accountNameKana: account.accountNameKana,
          currencyCode: account.currencyCode,
          currencyName: currencyNameOf(account.currencyCode),
          ...(account.transferLimitAmountYen === undefined ? {} : { transferLimitAmount: String(account.transferLimitAmountYen) }),
        })),
      };
    },
  );

  app.get(
    '/accounts/balances',
    {
      schema: {
        operationId: 'getBalances',
        tags: ['accounts'],
        summary: '残高照会 — balances',
        description: 'The balance, withdrawable amount and the balances at the end of the previous day and month, of every consented account or of the one named by accountId.',
        querystring: Type.Object({ accountId: optional(ACCOUNT_ID_FORMAT) }, { additionalProperties: false }),
        response: { 200: BalancesResponse },
      },
    },
    async (request) => {
      const access = bankAccessOf(request);
      const now = clock();
      const { accountId } = request.query;
      const accountIds = accountId ? [(await consentedAccount(access, accountId)).accountId] : access.accountIds;
      const [baseDate, baseTime] = [jstDate(now), jstTime(now)];
      const balances = await customerBalances(db, access.customerId, accountIds, baseDate);
      return {
        balances: balances.map((balance) => ({
          accountId: balance.accountId,
          accountTypeCode: balance.accountTypeCode,
          accountTypeName: balance.accountTypeName,
          balance: String(balance.balanceYen),
          withdrawableAmount: String(balance.withdrawableAmountYen),
          previousDayBalance: String(balance.previousDayBalanceYen),
          previousMonthBalance: String(balance.previousMonthBalanceYen),
          baseDate,
          baseTime,
          currencyCode: balance.currencyCode,
          currencyName: currencyNameOf(balance.currencyCode),
        })),
      };
    },
  );

  app.get(
    '/accounts/transactions',
    {
      schema: {
        operationId: 'getTransactions',
        tags: ['accounts'],
        summary: '入出金明細照会 — transaction history',
        description:
          'Postings of one account in ascending order, at most 500 per page. Neither date: today; dateFrom only: to today; dateTo only: from the first transaction; history reaches back 400 days. While hasNext, repeat the same query with nextItemKey.',
        querystring: Type.Object(
          {
            accountId: Type.String({ pattern: `^${ACCOUNT_ID_FORMAT}$` }),
            dateFrom: optional(DATE_FORMAT),
            dateTo: optional(DATE_FORMAT),
            nextItemKey: optional(ITEM_KEY_FORMAT),
          },
          { additionalProperties: false },
        ),
        response: { 200: TransactionsResponse },
      },
    },
    async (request) => {
      const access = bankAccessOf(request);
      const now = clock();
      const today = jstDate(now);
      const query = request.query;
      const requestedFrom = queryDate(query.dateFrom, 'dateFrom');
      const requestedTo = queryDate(query.dateTo, 'dateTo');
      const afterItemKey = query.nextItemKey || undefined;
      if (afterItemKey !== undefined && parseItemKey(afterItemKey) === undefined) {
        throw validationError('nextItemKeyが正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'nextItemKey is not an item key from this API', path: '/querystring/nextItemKey' }]);
      }
      const account = await consentedAccount(access, query.accountId);

      // GMO's period rules: ① neither date: today; ② dateFrom only: to today; ③ dateTo only: from the
      // first transaction; ④ both: as given.
      const dateTo = requestedTo ?? today;
      let dateFrom = requestedFrom ?? (requestedTo === undefined ? today : ((await firstTransactionDate(db, account.accountId)) ?? dateTo));
      if (dateFrom > dateTo) {
        if (requestedFrom !== undefined) {
          throw validationError('dateFromはdateTo以前の日付を指定してください。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'dateFrom is after dateTo', path: '/querystring/dateFrom' }]);
        }
        dateFrom = dateTo; // ③ with the first transaction after dateTo: an empty period.
      }
      const earliest = addDays(today, -(TRANSACTION_HISTORY_DAYS - 1));
      if (dateTo < earliest) {
        throw validationError('照会可能期間外です。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: `history is kept from ${earliest}`, path: '/querystring/dateTo' }]);
      }
      if (dateFrom < earliest) dateFrom = earliest;

      const page = await transactionPage(db, { accountId: account.accountId, dateFrom, dateTo, afterItemKey, pageSize });
      return {
        accountId: account.accountId,
        currencyCode: account.currencyCode,
        currencyName: currencyNameOf(account.currencyCode),
        dateFrom,
        dateTo,
        baseDate: today,
        baseTime: jstTime(now),
        hasNext: page.nextItemKey !== undefined,
        ...(page.nextItemKey === undefined ? {} : { nextItemKey: page.nextItemKey }),
        count: String(page.lines.length),
        transactions: page.lines.map((line) => ({
          transactionDate: line.transactionDate,
          valueDate: line.valueDate,
          transactionType: line.amountYen > 0 ? ('1' as const) : ('2' as const),
          amount: String(Math.abs(line.amountYen)),
          remarks: line.remarks,
          balance: String(line.balanceAfterYen),
          itemKey: line.itemKey,
        })),
      };
    },
  );
};
