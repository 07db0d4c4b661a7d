// Work that happens without a request: future-dated transfers (予約中) executed on their day, clearing
// settled, lapsed approvals expired. Each due transfer is claimed with FOR UPDATE SKIP LOCKED and
// executed in the same transaction as its postings, so it runs exactly once however many nodes tick and
// whenever a node dies: a crash before commit leaves it reserved for the next tick, after restart too.
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import { jstDate } from '../jst.ts';
import { expireLapsedApprovals } from './authorise.ts';
import { settleClearing } from './clearing.ts';
import { claimDueTransfer, executeLockedTransfer, lockFunds } from './execute.ts';
import type { TransferPolicy } from './policy.ts';

/** Reservations executed per run; the next tick continues. */
const EXECUTIONS_PER_RUN_MAX = 200;

/** Executes one reservation due on or before today; false when none is left. */
export async function executeOneDueReservation(db: Db, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const transfer = await claimDueTransfer(trx, { status: 'reserved', executionDateUpTo: jstDate(now) });
    if (!transfer) return false;
    await executeLockedTransfer(trx, transfer, await lockFunds(trx, transfer, jstDate(now)), now);
    return true;
  });
}

export interface SchedulerRun {
  executed: number;
  settled: number;
  expired: number;
}

/** One pass over everything due at `now`. */
export async function runDueTransferWork(db: Db, policy: TransferPolicy, now: Date): Promise<SchedulerRun> {
  const expired = await expireLapsedApprovals(db, now);
  let executed = 0;
  while (executed < EXECUTIONS_PER_RUN_MAX && (await executeOneDueReservation(db, now))) executed++;
  const settled = await settleClearing(db, policy, now);
  // Idempotency keys past their 24 hours (api/idempotency.ts) are no longer needed.
  await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).execute();
  return { executed, settled, expired };
}

export interface TransferScheduler {
  /** Waits for a run in progress, then stops. */
  stop(): Promise<void>;
}

export function startTransferScheduler(options: { db: Db; policy: TransferPolicy; intervalMs: number; clock: () => Date; logger: Logger }): TransferScheduler {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = runDueTransferWork(options.db, options.policy, options.clock())
      .then((run) => {
        if (run.executed + run.settled + run.expired > 0) options.logger.info(run, 'transfer scheduler run');
      })
      .catch((error: unknown) => options.logger.error({ err: error }, 'transfer scheduler run failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
