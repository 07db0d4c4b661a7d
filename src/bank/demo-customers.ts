// The sandbox's demo customers: who they are, their accounts, and the habits their history is made from
// (demo-history.ts turns the habits into ledger entries). Remarks are half-width katakana in the Zengin
// character set, as Japanese banks print them: no small kana (ｷﾕｳﾖ, not ｷｭｳﾖ), '-' for the long vowel,
// and ｶ) / ﾕ) for 株式会社 / 有限会社.
import type { InternalAccountName } from './internal-accounts.ts';

export interface DemoAccountProfile {
  branchCode: string;
  branchName: string;
  /** 2-digit 科目コード. */
  accountTypeCode: '01' | '02' | '04';
  accountNumber: string;
  carriedForwardYen: number;
}

/** Where the other side of a habit's money is: one of the bank's internal accounts or the customer's own account. */
export type Counterparty = { internal: InternalAccountName } | { ownAccount: number; remarks: string };

/** An inclusive range of yen amounts drawn in steps (salary varies by the yen, ATM cash by ¥10,000). */
export interface AmountRange {
  minYen: number;
  maxYen: number;
  stepYen: number;
}

/** Something that happens on a day of the month: salary, rent, a bill. */
export interface MonthlyHabit {
  description: string;
  /** Day of the month; beyond the month's end means its last day. */
  dayOfMonth: number;
  /** Which months (1–12); every month when absent. */
  months?: readonly number[];
  /** Pay days move to the previous business day, collections to the next. */
  onHoliday: 'previous-business-day' | 'next-business-day';
  /** JST time of day, [hours, minutes]. */
  time: readonly [number, number];
  /** Positive: into the account; negative: out of it. */
  direction: 'credit' | 'debit';
  amount: AmountRange;
  remarks: string;
  /** Index into the profile's accounts; the first when absent. */
  account?: number;
  counterparty: Counterparty;
  /** 振込手数料 charged on top of an outgoing transfer. */
  feeYen?: number;
}

/** Something that happens now and then: cash from an ATM, a transfer from a friend. */
export interface OccasionalHabit {
  description: string;
  /** Expected occurrences per month. */
  perMonth: number;
  /** JST hours it may happen in, [from, to) . */
  hours: readonly [number, number];
  direction: 'credit' | 'debit';
  amount: AmountRange;
  /** One is picked at random each time. */
  remarks: readonly string[];
  counterparty: Counterparty;
  feeYen?: number;
}

export interface DemoCustomerProfile {
  customerId: string;
  loginId: string;
  /** Sandbox only: shown by the CLI and the docs so anyone can sign in as this customer. */
  password: string;
  name: string;
  nameKana: string;
  /** The first is the primary (代表) account. */
  accounts: readonly DemoAccountProfile[];
  monthly: readonly MonthlyHabit[];
  occasional: readonly OccasionalHabit[];
}

const fixed = (yen: number): AmountRange => ({ minYen: yen, maxYen: yen, stepYen: 1 });
const range = (minYen: number, maxYen: number, stepYen = 1): AmountRange => ({ minYen, maxYen, stepYen });

const TRANSFER_FEE_YEN = 145;
const CONVENIENCE_ATM_FEE_YEN = 110;

/** The same utilities everyone pays, with the customer's own biller names and amounts. */
function utilities(electricity: AmountRange, gas: AmountRange, phone: AmountRange, phoneRemarks: string): MonthlyHabit[] {
  const collection = { internal: 'directDebitCollection' } as const;
  return [
    { description: '口座振替 電気料金', dayOfMonth: 20, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: electricity, remarks: 'ﾐﾅﾄﾃﾞﾝﾘﾖｸ ﾃﾞﾝｷﾀﾞｲ', counterparty: collection },
    { description: '口座振替 ガス料金', dayOfMonth: 22, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: gas, remarks: 'ﾐﾅﾄｶﾞｽ ｶﾞｽﾀﾞｲ', counterparty: collection },
    { description: '口座振替 水道料金', dayOfMonth: 24, months: [2, 4, 6, 8, 10, 12], onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: range(4_200, 6_800), remarks: 'ｽｲﾄﾞｳﾘﾖｳｷﾝ', counterparty: collection },
    { description: '口座振替 携帯電話料金', dayOfMonth: 26, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: phone, remarks: phoneRemarks, counterparty: collection },
  ];
}

function atmHabits(perMonth: number): OccasionalHabit[] {
  const cash = { internal: 'atmCash' } as const;
  return [
    { description: 'ATM出金', perMonth, hours: [8, 21], direction: 'debit', amount: range(10_000, 40_000, 10_000), remarks: ['ATM ﾋｷﾀﾞｼ'], counterparty: cash },
    { description: 'コンビニATM出金', perMonth: 1, hours: [7, 23], direction: 'debit', amount: range(5_000, 20_000, 5_000), remarks: ['ｺﾝﾋﾞﾆATM ﾋｷﾀﾞｼ'], counterparty: cash, feeYen: CONVENIENCE_ATM_FEE_YEN },
  ];
}

/** The demo customers, with their sign-in details (loginId / password) for the CLI to print. */
export const DEMO_CUSTOMERS: readonly DemoCustomerProfile[] = [
  {
    customerId: 'cust-0001',
    loginId: 'tanaka',
    password: 'tanaka-demo-2024',
    name: '田中 太郎',
    nameKana: 'ﾀﾅｶ ﾀﾛｳ',
    accounts: [
      { branchCode: '100', branchName: '本店営業部', accountTypeCode: '01', accountNumber: '1234567', carriedForwardYen: 846_213 },
      { branchCode: '100', branchName: '本店営業部', accountTypeCode: '04', accountNumber: '7654321', carriedForwardYen: 1_200_000 },
    ],
    monthly: [
      { description: '給与振込', dayOfMonth: 25, onHoliday: 'previous-business-day', time: [5, 0], direction: 'credit', amount: range(298_000, 335_000), remarks: 'ｷﾕｳﾖ ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ', counterparty: { internal: 'zenginClearing' } },
      { description: '賞与振込', dayOfMonth: 10, months: [6, 12], onHoliday: 'previous-business-day', time: [5, 0], direction: 'credit', amount: range(620_000, 680_000), remarks: 'ｼﾖｳﾖ ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ', counterparty: { internal: 'zenginClearing' } },
      { description: '他行振込 家賃', dayOfMonth: 26, onHoliday: 'previous-business-day', time: [12, 10], direction: 'debit', amount: fixed(98_000), remarks: 'ﾌﾘｺﾐ ｶ)ｻｸﾗﾌﾄﾞｳｻﾝ', counterparty: { internal: 'zenginClearing' }, feeYen: TRANSFER_FEE_YEN },
      { description: 'カード代金', dayOfMonth: 10, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: range(42_000, 138_000), remarks: 'ﾐﾅﾄｶ-ﾄﾞ', counterparty: { internal: 'cardSettlement' } },
      { description: '積立 貯蓄預金へ振替', dayOfMonth: 27, onHoliday: 'next-business-day', time: [10, 0], direction: 'debit', amount: fixed(30_000), remarks: 'ﾌﾘｶｴ ﾁﾖﾁｸﾖｷﾝ', counterparty: { ownAccount: 1, remarks: 'ﾌﾘｶｴ ﾌﾂｳﾖｷﾝ' } },
      ...utilities(range(5_800, 12_400), range(3_200, 7_800), range(6_980, 8_400), 'ｻｸﾗﾓﾊﾞｲﾙ ﾂｳﾜﾘﾖｳ'),
    ],
    occasional: [
      ...atmHabits(4),
      { description: '他行振込入金', perMonth: 0.6, hours: [9, 20], direction: 'credit', amount: range(3_000, 30_000, 1_000), remarks: ['ﾌﾘｺﾐ ﾀﾅｶ ﾊﾙｺ', 'ﾌﾘｺﾐ ﾔﾏﾀﾞ ｹﾝｼﾞ', 'ﾌﾘｺﾐ ｶ)ﾐﾅﾄﾌﾘﾏ'], counterparty: { internal: 'zenginClearing' } },
      { description: '他行振込', perMonth: 1, hours: [9, 22], direction: 'debit', amount: range(3_000, 20_000, 1_000), remarks: ['ﾌﾘｺﾐ ｻｲﾄｳ ﾕｳｷ', 'ﾌﾘｺﾐ ｶ)ﾐﾄﾞﾘｽﾎﾟ-ﾂ', 'ﾌﾘｺﾐ ｲﾄｳ ﾏｺﾄ'], counterparty: { internal: 'zenginClearing' }, feeYen: TRANSFER_FEE_YEN },
    ],
  },
  {
    customerId: 'cust-0002',
    loginId: 'suzuki',
    password: 'suzuki-demo-2024',
    name: '鈴木 花子',
    nameKana: 'ｽｽﾞｷ ﾊﾅｺ',
    accounts: [
      { branchCode: '201', branchName: '新宿支店', accountTypeCode: '01', accountNumber: '2345678', carriedForwardYen: 412_580 },
      { branchCode: '201', branchName: '新宿支店', accountTypeCode: '02', accountNumber: '2345679', carriedForwardYen: 60_000 },
    ],
    monthly: [
      { description: '給与振込', dayOfMonth: 20, onHoliday: 'previous-business-day', time: [5, 0], direction: 'credit', amount: range(236_000, 252_000), remarks: 'ｷﾕｳﾖ ｶ)ｻｸﾗｼｽﾃﾑ', counterparty: { internal: 'zenginClearing' } },
      { description: '賞与振込', dayOfMonth: 10, months: [7, 12], onHoliday: 'previous-business-day', time: [5, 0], direction: 'credit', amount: range(380_000, 420_000), remarks: 'ｼﾖｳﾖ ｶ)ｻｸﾗｼｽﾃﾑ', counterparty: { internal: 'zenginClearing' } },
      { description: '口座振替 家賃', dayOfMonth: 27, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: fixed(72_000), remarks: 'ﾔﾁﾝ ｶ)ﾐﾅﾄﾎｼﾖｳ', counterparty: { internal: 'directDebitCollection' } },
      { description: '決済用口座へ振替', dayOfMonth: 21, onHoliday: 'next-business-day', time: [8, 30], direction: 'debit', amount: fixed(70_000), remarks: 'ﾌﾘｶｴ ｹﾂｻｲﾖｳ', counterparty: { ownAccount: 1, remarks: 'ﾌﾘｶｴ ﾌﾂｳﾖｷﾝ' } },
      { description: 'カード代金', dayOfMonth: 27, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: range(28_000, 66_000), remarks: 'ｷﾞﾝｺｳｶ-ﾄﾞ', account: 1, counterparty: { internal: 'cardSettlement' } },
      ...utilities(range(3_900, 8_600), range(2_400, 5_200), range(3_278, 4_950), 'ﾐﾅﾄﾓﾊﾞｲﾙ'),
    ],
    occasional: [
      ...atmHabits(3),
      { description: '他行振込入金', perMonth: 0.4, hours: [9, 20], direction: 'credit', amount: range(10_000, 50_000, 10_000), remarks: ['ﾌﾘｺﾐ ｽｽﾞｷ ﾐﾂｺ'], counterparty: { internal: 'zenginClearing' } },
      { description: '他行振込', perMonth: 0.8, hours: [9, 22], direction: 'debit', amount: range(2_000, 15_000, 500), remarks: ['ﾌﾘｺﾐ ｺﾊﾞﾔｼ ｱﾔ', 'ﾌﾘｺﾐ ｶ)ﾖｶﾞｽﾀｼﾞｵ'], counterparty: { internal: 'zenginClearing' }, feeYen: TRANSFER_FEE_YEN },
    ],
  },
  {
    customerId: 'cust-0003',
    loginId: 'sato',
    password: 'sato-demo-2024',
    name: '佐藤 健',
    nameKana: 'ｻﾄｳ ｹﾝ',
    accounts: [
      { branchCode: '305', branchName: '梅田支店', accountTypeCode: '02', accountNumber: '3456789', carriedForwardYen: 1_380_000 },
      { branchCode: '305', branchName: '梅田支店', accountTypeCode: '01', accountNumber: '3456790', carriedForwardYen: 523_400 },
      { branchCode: '305', branchName: '梅田支店', accountTypeCode: '04', accountNumber: '3456791', carriedForwardYen: 2_000_000 },
    ],
    monthly: [
      { description: '口座振替 国民年金', dayOfMonth: 31, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: fixed(16_980), remarks: 'ｺｸﾐﾝﾈﾝｷﾝ', counterparty: { internal: 'directDebitCollection' } },
      { description: '口座振替 国民健康保険料', dayOfMonth: 31, months: [6, 7, 8, 9, 10, 11, 12, 1, 2, 3], onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: fixed(31_200), remarks: 'ｺｸﾎ ｵｵｻｶｼ', counterparty: { internal: 'directDebitCollection' } },
      { description: '口座振替 住民税', dayOfMonth: 31, months: [6, 8, 10, 1], onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: fixed(48_000), remarks: 'ｼﾞﾕｳﾐﾝｾﾞｲ ｵｵｻｶｼ', counterparty: { internal: 'directDebitCollection' } },
      { description: '他行振込 事務所家賃', dayOfMonth: 25, onHoliday: 'previous-business-day', time: [11, 40], direction: 'debit', amount: fixed(85_000), remarks: 'ﾌﾘｺﾐ ｶ)ﾅﾆﾜｼﾞﾕｳﾀｸ', counterparty: { internal: 'zenginClearing' }, feeYen: TRANSFER_FEE_YEN },
      { description: 'カード代金', dayOfMonth: 4, onHoliday: 'next-business-day', time: [9, 0], direction: 'debit', amount: range(60_000, 190_000), remarks: 'ﾐﾅﾄｶ-ﾄﾞ', counterparty: { internal: 'cardSettlement' } },
      { description: '生活費 普通預金へ振替', dayOfMonth: 1, onHoliday: 'next-business-day', time: [10, 0], direction: 'debit', amount: fixed(150_000), remarks: 'ﾌﾘｶｴ ｾｲｶﾂﾋ', counterparty: { ownAccount: 1, remarks: 'ﾌﾘｶｴ ｹﾂｻｲﾖｳﾖﾘ' } },
      { description: '積立 貯蓄預金へ振替', dayOfMonth: 5, onHoliday: 'next-business-day', time: [10, 0], direction: 'debit', amount: fixed(50_000), remarks: 'ﾌﾘｶｴ ﾁﾖﾁｸﾖｷﾝ', counterparty: { ownAccount: 2, remarks: 'ﾌﾘｶｴ ｹﾂｻｲﾖｳﾖﾘ' } },
      ...utilities(range(7_200, 16_800), range(4_100, 9_900), range(8_800, 11_200), 'ｻｸﾗﾓﾊﾞｲﾙ ﾂｳﾜﾘﾖｳ').map((habit) => ({ ...habit, account: 1 })),
    ],
    occasional: [
      { description: '報酬入金', perMonth: 2.5, hours: [9, 16], direction: 'credit', amount: range(80_000, 420_000, 1_100), remarks: ['ﾌﾘｺﾐ ｶ)ｱｵﾊﾞﾃﾞｻﾞｲﾝ', 'ﾌﾘｺﾐ ｶ)ﾅﾆﾜﾒﾃﾞｲｱ', 'ﾌﾘｺﾐ ﾕ)ﾋｶﾘｺｳﾎﾞｳ'], counterparty: { internal: 'zenginClearing' } },
      ...atmHabits(2),
      { description: '他行振込', perMonth: 1.5, hours: [9, 18], direction: 'debit', amount: range(5_000, 80_000, 1_000), remarks: ['ﾌﾘｺﾐ ｶ)ｵﾌｲｽｻﾌﾟﾗｲ', 'ﾌﾘｺﾐ ﾀｶﾊｼ ｼﾞﾕﾝ', 'ﾌﾘｺﾐ ｶ)ｸﾗｳﾄﾞﾜ-ｸｽ'], counterparty: { internal: 'zenginClearing' }, feeYen: TRANSFER_FEE_YEN },
    ],
  },
];
