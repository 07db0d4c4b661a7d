// The codes TPPs see (GMO Aozora-compatible): transferStatus with its name, and the request's resultCode
// (1 完了: approved, see the status; 2 未完了: awaiting approval; 8 期限切: ended without approval).
import type { TransferState } from './model.ts';

export const TRANSFER_STATUS: Readonly<Record<TransferState, { code: string; name: string }>> = {
  awaiting_authorisation: { code: '2', name: '申請中' },
  rejected: { code: '3', name: '差戻' },
  withdrawn: { code: '4', name: '取下げ' },
  expired: { code: '5', name: '期限切れ' },
  cancelled: { code: '8', name: '予約取消' },
  reserved: { code: '11', name: '予約中' },
  in_clearing: { code: '12', name: '手続中' },
  completed: { code: '20', name: '手続済' },
  returned: { code: '22', name: '資金返却' },
  failed: { code: '40', name: '手続不成立' },
};

export function resultCodeOf(state: TransferState): '1' | '2' | '8' {
  if (state === 'awaiting_authorisation') return '2';
  if (state === 'expired' || state === 'rejected' || state === 'withdrawn') return '8';
  return '1';
}

/** requestTransferStatus filter values a TPP may send, in the order above. */
export const TRANSFER_STATUS_CODES = Object.values(TRANSFER_STATUS).map((s) => s.code);
