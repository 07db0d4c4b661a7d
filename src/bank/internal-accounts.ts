// The bank's own ledger accounts. They stand on the other side of money entering or leaving customer
// accounts (other banks, cash, card companies, billers, interest, tax, fees), so every entry balances.
// Their ids are not 12 digits, so they can never be mistaken for, or collide with, a customer account.
import type { Db } from '../store/db.ts';

export const INTERNAL_ACCOUNTS = {
  /** 他行為替: transfers to and from other banks, settled through the Zengin system. */
  zenginClearing: { accountId: 'GL-ZENGIN-CLEARING', accountName: '全銀為替決済勘定' },
  /** Cash paid out or taken in at ATMs (own and partner networks). */
  atmCash: { accountId: 'GL-ATM-CASH', accountName: 'ATM現金' },
  /** Settlement with card companies for their customers' monthly card bills. */
  cardSettlement: { accountId: 'GL-CARD-SETTLEMENT', accountName: 'カード代金決済勘定' },
  /** 口座振替: utility bills, phone, taxes and insurance collected for billers. */
  directDebitCollection: { accountId: 'GL-DIRECT-DEBIT', accountName: '口座振替収納勘定' },
  /** Interest the bank pays on deposits. */
  depositInterest: { accountId: 'GL-DEPOSIT-INTEREST', accountName: '預金利息' },
  /** 源泉分離課税 withheld from interest (national 15.315% + local 5%), owed to the tax office. */
  withholdingTax: { accountId: 'GL-WITHHOLDING-TAX', accountName: '源泉所得税等預り金' },
  /** Transfer and ATM fees. */
  feeIncome: { accountId: 'GL-FEE-INCOME', accountName: '手数料収入' },
  /** Balances brought over from before the ledger's history starts (繰越). */
  balanceCarriedForward: { accountId: 'GL-CARRIED-FORWARD', accountName: '繰越残高' },
} as const;

export type InternalAccountName = keyof typeof INTERNAL_ACCOUNTS;

/** Creates whichever internal accounts are missing; existing ones (and their balances) are left alone. */
export async function ensureInternalAccounts(db: Db, openedAt: Date): Promise<void> {
  await db
    .insertInto('accounts')
    .values(
      Object.values(INTERNAL_ACCOUNTS).map(({ accountId, accountName }) => ({
        account_id: accountId,
        kind: 'internal' as const,
        customer_id: null,
        account_name: accountName,
        currency_code: 'JPY',
        balance_yen: 0,
        opened_at: openedAt,
      })),
    )
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
}
