// 振込手数料: a table by destination (same branch / another branch of this bank / another bank) and
// amount band, consumption tax included. The operator replaces the table; quotes and execution read
// the same one, and a fee is posted as its own journal entry.
import assert from 'node:assert/strict';

export type FeeDestination = 'sameBranch' | 'otherBranch' | 'otherBank';

/** Bands in ascending `fromAmountYen`; the first starts at 1 yen. */
export type TransferFeeTable = Readonly<Record<FeeDestination, readonly { fromAmountYen: number; feeYen: number }[]>>;

/** The sandbox's fees: free inside the branch, ¥110 between branches, ¥154 / ¥229 to other banks. */
export const DEFAULT_TRANSFER_FEES: TransferFeeTable = {
  sameBranch: [{ fromAmountYen: 1, feeYen: 0 }],
  otherBranch: [{ fromAmountYen: 1, feeYen: 110 }],
  otherBank: [
    { fromAmountYen: 1, feeYen: 154 },
    { fromAmountYen: 30_000, feeYen: 229 },
  ],
};

/** A fee never exceeds this: a typo in the table must not charge a customer ¥1,000,000. */
const FEE_YEN_MAX = 10_000;

export function assertFeeTable(table: TransferFeeTable): void {
  for (const [destination, bands] of Object.entries(table)) {
    assert.ok(bands.length > 0 && bands[0]!.fromAmountYen === 1, `fee table ${destination}: the first band must start at 1 yen`);
    bands.forEach((band, i) => {
      assert.ok(Number.isSafeInteger(band.feeYen) && band.feeYen >= 0 && band.feeYen <= FEE_YEN_MAX, `fee table ${destination}: fee out of range`);
      if (i > 0) assert.ok(band.fromAmountYen > bands[i - 1]!.fromAmountYen, `fee table ${destination}: bands must ascend`);
    });
  }
}

export function transferFeeYen(table: TransferFeeTable, destination: FeeDestination, amountYen: number): number {
  assert.ok(Number.isSafeInteger(amountYen) && amountYen >= 1, 'transfer amount must be a positive integer');
  let fee = table[destination][0]!.feeYen;
  for (const band of table[destination]) if (amountYen >= band.fromAmountYen) fee = band.feeYen;
  return fee;
}
