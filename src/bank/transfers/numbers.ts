// 振込申請番号 (applyNo) and 受付番号 (acceptNo): 16 random digits, never starting with 0, so they cannot be
// guessed from one another and sort as numbers and as text alike.
import { randomInt } from 'node:crypto';

export function newTransferNumber(): string {
  // Two draws: randomInt's range is limited to 2^48.
  const high = randomInt(10_000_000, 100_000_000);
  const low = randomInt(0, 100_000_000);
  return `${high}${String(low).padStart(8, '0')}`;
}
