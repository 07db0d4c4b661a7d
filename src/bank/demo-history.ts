// Turns the demo customers' habits (demo-customers.ts) into about a year of ledger entries ending at
// `now`, in memory: deterministic for a given `now` (seeded PRNG), chronological, each entry balanced,
// each posting carrying the running balance. A debit the account cannot cover is skipped, as a bank
// would refuse it (振替不能), so customer balances never go negative.
import assert from 'node:assert/strict';
import { type AmountRange, type Counterparty, DEMO_CUSTOMERS, type DemoCustomerProfile } from './demo-customers.ts';
import type { DepositAccount } from './accounts.ts';
import { INTERNAL_ACCOUNTS } from './internal-accounts.ts';
import { addDays, dayOfWeek, firstDayOfMonth, jstDate, jstInstant } from './jst.ts';
import { assertBalancedEntry, type PostingInput } from './ledger.ts';

const HISTORY_DAYS = 365;
const PRNG_SEED = 0x6b1e_2024;

const ACCOUNT_TYPE_NAMES = { '01': '普通預金（有利息）', '02': '普通預金（決済用）', '04': '貯蓄預金' } as const;
/** Yearly interest rates by 科目 (決済用 deposits bear none, by definition). */
const INTEREST_RATES = { '01': 0.0002, '02': 0, '04': 0.0003 } as const;
/** Ordinary deposits pay interest twice a year. */
const INTEREST_MONTHS = [2, 8];
const INTEREST_DAY = 17;
/** 源泉分離課税 on deposit interest: income tax incl. reconstruction tax, and local tax; each rounded down. */
const NATIONAL_TAX_RATE = 0.15315;
const LOCAL_TAX_RATE = 0.05;
const TRANSFER_LIMIT_YEN = 1_000_000;

/** A demo deposit account as the seed plans it: the account the API shows, plus its owner. */
export interface DemoAccount extends Omit<DepositAccount, 'currencyCode' | 'transferLimitAmountYen'> {
  customerId: string;
  /** Null where the product has no per-transfer limit (貯蓄). */
  transferLimitAmountYen: number | null;
}

export interface PlannedPosting extends PostingInput {
  balanceAfterYen: number;
}

export interface PlannedEntry {
  bookedAt: Date;
  valueDate: string;
  description: string;
  postings: PlannedPosting[];
}

export interface DemoBankPlan {
  /** First day of the history (the 繰越 entries are on it). */
  historyStart: string;
  accounts: DemoAccount[];
  /** In booking order. */
  entries: PlannedEntry[];
  /** Balance of every account touched, customer and internal, after the last entry. */
  balancesYen: ReadonlyMap<string, number>;
}

/** mulberry32: small, fast, and the same sequence on every platform. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Demo calendar: weekends and the 12/31–1/3 closure. National holidays belong to the bank's business
 * calendar, which the demo does not need to be exact about.
 */
function isBusinessDay(date: string): boolean {
  const weekday = dayOfWeek(date);
  const monthDay = date.slice(5);
  return weekday !== 0 && weekday !== 6 && monthDay !== '12-31' && monthDay > '01-03';
}

function rollToBusinessDay(date: string, direction: 'previous-business-day' | 'next-business-day'): string {
  let day = date;
  while (!isBusinessDay(day)) day = addDays(day, direction === 'previous-business-day' ? -1 : 1);
  return day;
}

function lastDayOfMonth(monthStart: string): string {
  // 31 days after the 1st is always in the next month.
  return addDays(firstDayOfMonth(addDays(monthStart, 31)), -1);
}

/** The date a habit's day of the month falls on, clamped to the month's last day. */
function dayInMonth(monthStart: string, dayOfMonth: number): string {
  return addDays(monthStart, Math.min(dayOfMonth, Number(lastDayOfMonth(monthStart).slice(8))) - 1);
}

function accountIdOf(account: { branchCode: string; accountTypeCode: string; accountNumber: string }): string {
  return `${account.branchCode}${account.accountTypeCode}${account.accountNumber}`;
}

interface Leg {
  accountId: string;
  amountYen: number;
  remarks: string;
}

/** Something scheduled to happen; its legs are decided when it is booked, from the balances then. */
interface PlannedEvent {
  at: Date;
  description: string;
  legs: (balanceOf: (accountId: string) => number) => Leg[];
}

/** The legs of one movement between a customer account and its counterparty, plus an optional fee. */
function movementLegs(profile: DemoCustomerProfile, accountIndex: number, signedYen: number, remarks: string, counterparty: Counterparty, feeYen: number | undefined): Leg[] {
  const account = profile.accounts[accountIndex];
  assert.ok(account, `${profile.loginId} has no account ${accountIndex}`);
  const accountId = accountIdOf(account);
  const legs: Leg[] = [{ accountId, amountYen: signedYen, remarks }];
  if ('internal' in counterparty) {
    legs.push({ accountId: INTERNAL_ACCOUNTS[counterparty.internal].accountId, amountYen: -signedYen, remarks });
  } else {
    const own = profile.accounts[counterparty.ownAccount];
    assert.ok(own, `${profile.loginId} has no account ${counterparty.ownAccount}`);
    legs.push({ accountId: accountIdOf(own), amountYen: -signedYen, remarks: counterparty.remarks });
  }
  if (feeYen !== undefined) {
    legs.push({ accountId, amountYen: -feeYen, remarks: 'ﾃｽｳﾘﾖｳ' }, { accountId: INTERNAL_ACCOUNTS.feeIncome.accountId, amountYen: feeYen, remarks: 'ﾃｽｳﾘﾖｳ' });
  }
  return legs;
}

/** Net interest legs for a half year on the account's current balance; none when it rounds to zero. */
function interestLegs(accountId: string, rate: number, balanceYen: number): Leg[] {
  const grossYen = Math.floor((balanceYen * rate) / 2);
  if (grossYen <= 0) return [];
  const taxYen = Math.floor(grossYen * NATIONAL_TAX_RATE) + Math.floor(grossYen * LOCAL_TAX_RATE);
  const legs: Leg[] = [
    { accountId: INTERNAL_ACCOUNTS.depositInterest.accountId, amountYen: -grossYen, remarks: 'ﾘｿｸ' },
    { accountId, amountYen: grossYen - taxYen, remarks: 'ﾘｿｸ' },
  ];
  if (taxYen > 0) legs.push({ accountId: INTERNAL_ACCOUNTS.withholdingTax.accountId, amountYen: taxYen, remarks: 'ﾘｿｸ ｹﾞﾝｾﾝｾﾞｲ' });
  return legs;
}

export function planDemoBank(now: Date): DemoBankPlan {
  const random = seededRandom(PRNG_SEED);
  const draw = (amount: AmountRange): number => amount.minYen + amount.stepYen * Math.floor(random() * (Math.floor((amount.maxYen - amount.minYen) / amount.stepYen) + 1));
  const today = jstDate(now);
  const historyStart = addDays(today, -HISTORY_DAYS);
  const opened = jstInstant(historyStart);
  const events: PlannedEvent[] = [];
  const accounts: DemoAccount[] = [];

  for (const profile of DEMO_CUSTOMERS) {
    for (const [index, account] of profile.accounts.entries()) {
      const accountId = accountIdOf(account);
      accounts.push({
        accountId,
        customerId: profile.customerId,
        branchCode: account.branchCode,
        branchName: account.branchName,
        accountTypeCode: account.accountTypeCode,
        accountTypeName: ACCOUNT_TYPE_NAMES[account.accountTypeCode],
        accountNumber: account.accountNumber,
        accountName: profile.name.replace(' ', '　'),
        accountNameKana: profile.nameKana,
        primaryAccountCode: index === 0 ? '1' : '2',
        transferLimitAmountYen: account.accountTypeCode === '04' ? null : TRANSFER_LIMIT_YEN,
      });
      events.push({
        at: opened,
        description: '繰越',
        legs: () => [
          { accountId, amountYen: account.carriedForwardYen, remarks: 'ｸﾘｺｼ' },
          { accountId: INTERNAL_ACCOUNTS.balanceCarriedForward.accountId, amountYen: -account.carriedForwardYen, remarks: 'ｸﾘｺｼ' },
        ],
      });
    }

    // Months overlapping the history, by their first day.
    for (let monthStart = firstDayOfMonth(historyStart); monthStart <= today; monthStart = addDays(lastDayOfMonth(monthStart), 1)) {
      const month = Number(monthStart.slice(5, 7));
      for (const habit of profile.monthly) {
        if (habit.months && !habit.months.includes(month)) continue;
        const date = rollToBusinessDay(dayInMonth(monthStart, habit.dayOfMonth), habit.onHoliday);
        const signedYen = (habit.direction === 'credit' ? 1 : -1) * draw(habit.amount);
        const legs = movementLegs(profile, habit.account ?? 0, signedYen, habit.remarks, habit.counterparty, habit.feeYen);
        events.push({ at: jstInstant(date, habit.time[0], habit.time[1]), description: habit.description, legs: () => legs });
      }
      if (!INTEREST_MONTHS.includes(month)) continue;
      for (const account of profile.accounts) {
        const rate = INTEREST_RATES[account.accountTypeCode];
        if (rate === 0) continue;
        const accountId = accountIdOf(account);
        const at = jstInstant(dayInMonth(monthStart, INTEREST_DAY), 0, 30);
        events.push({ at, description: '預金利息', legs: (balanceOf) => interestLegs(accountId, rate, balanceOf(accountId)) });
      }
    }

    for (let date = addDays(historyStart, 1); date <= today; date = addDays(date, 1)) {
      for (const habit of profile.occasional) {
        // Daily chance from the monthly rate; at most one of each habit a day keeps the history plausible.
        if (random() >= (habit.perMonth * 12) / 365) continue;
        const [fromHour, toHour] = habit.hours;
        const seconds = Math.floor(random() * (toHour - fromHour) * 3600);
        const remarks = habit.remarks[Math.floor(random() * habit.remarks.length)]!;
        const signedYen = (habit.direction === 'credit' ? 1 : -1) * draw(habit.amount);
        const legs = movementLegs(profile, 0, signedYen, remarks, habit.counterparty, habit.feeYen);
        events.push({ at: jstInstant(date, fromHour + Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60), description: habit.description, legs: () => legs });
      }
    }
  }

  const booked = events
    .map((event, order) => ({ event, order }))
    .filter(({ event }) => event.at >= opened && event.at <= now)
    .sort((a, b) => a.event.at.getTime() - b.event.at.getTime() || a.order - b.order);
  const customerAccountIds = new Set(accounts.map((account) => account.accountId));
  const balancesYen = new Map<string, number>();
  const balanceOf = (accountId: string): number => balancesYen.get(accountId) ?? 0;
  const entries: PlannedEntry[] = [];
  for (const { event } of booked) {
    const legs = event.legs(balanceOf);
    if (legs.length === 0) continue;
    const after = new Map<string, number>();
    const postings = legs.map((leg) => {
      const balanceAfterYen = (after.get(leg.accountId) ?? balanceOf(leg.accountId)) + leg.amountYen;
      after.set(leg.accountId, balanceAfterYen);
      return { ...leg, balanceAfterYen };
    });
    if ([...after].some(([accountId, yen]) => customerAccountIds.has(accountId) && yen < 0)) continue; // 振替不能
    const entry: PlannedEntry = { bookedAt: event.at, valueDate: jstDate(event.at), description: event.description, postings };
    assertBalancedEntry(entry);
    for (const [accountId, yen] of after) balancesYen.set(accountId, yen);
    entries.push(entry);
  }
  return { historyStart, accounts, entries, balancesYen };
}
